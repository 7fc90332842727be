// expect: 3:1: unexpected end of file, expecting regular expression
rule a { condition: "x" matches // }
