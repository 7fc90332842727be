// expect: 2:21: undefined identifier "b"
rule a { condition: b }
rule b { condition: true }
