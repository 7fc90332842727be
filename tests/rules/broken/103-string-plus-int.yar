// expect: 2:29: type mismatch
rule a { condition: "a" + 1 > 0 }
