// expect: 2:20: expecting ':'
rule a { condition true }
