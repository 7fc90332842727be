// expect: 5:6: rule identifier "a01" matches previously used wildcard rule set
rule a0 { condition: true }
rule b { condition: 1 of (a0*) }
rule a { condition: true }
rule a01 { condition: true }
