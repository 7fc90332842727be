// expect: 2:8: unexpected hex string, expecting '{'
rule a { }
