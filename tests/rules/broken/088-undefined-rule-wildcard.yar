// expect: 2:29: undefined identifier "zz"
rule a { condition: any of (zz*) }
