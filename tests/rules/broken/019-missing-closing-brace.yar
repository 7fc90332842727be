// expect: 3:1: unexpected end of file, expecting '}'
rule a { condition: true
