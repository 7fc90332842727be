// expect: 2:21: undefined identifier "pe"
rule a { condition: pe.is_pe == 1 }
