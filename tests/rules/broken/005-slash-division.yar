// expect: 2:23: unterminated regular expression
rule a { condition: 4 / 2 == 2 }
