// expect: 2:21: undefined identifier "foo"
rule a { condition: foo }
