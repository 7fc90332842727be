// expect: 3:23: type mismatch
rule b { condition: true }
rule a { condition: b + 1 == 2 }
