// expect: 2:28: undefined string "$*"
rule a { condition: any of them }
