// expect: 2:25: unexpected not
rule a { condition: 1 + not 2 }
