// expect: 2:33: unterminated regular expression
rule a { condition: "x" matches /abc
 }
