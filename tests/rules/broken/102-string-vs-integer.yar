// expect: 2:25: type mismatch
rule a { condition: "a" == 1 }
