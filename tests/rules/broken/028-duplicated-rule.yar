// expect: 3:6: duplicated identifier "a"
rule a { condition: true }
rule a { condition: false }
