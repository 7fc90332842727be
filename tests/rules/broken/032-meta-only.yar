// expect: 2:22: expecting condition
rule a { meta: x = 1 }
