// expect: 3:32: undefined identifier "c"
rule b { condition: true }
rule a { condition: any of (b, c) }
