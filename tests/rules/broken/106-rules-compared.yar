// expect: 4:23: type mismatch
rule b { condition: true }
rule c { condition: true }
rule a { condition: b == c }
