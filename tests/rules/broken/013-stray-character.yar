// expect: 2:26: unexpected character '`'
rule a { condition: true ` }
