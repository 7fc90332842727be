// expect: 2:6: unexpected for, expecting identifier
rule for { condition: true }
