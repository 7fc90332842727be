// expect: 3:27: type mismatch
rule b { condition: true }
rule a { condition: b + 1 == 2 }
