// expect: 2:34: expecting '(' or identifier
rule a { condition: for any k in filesize : (k == 1) }
