// expect: 4:6: rule identifier "b1" matches previously used wildcard rule set
rule a0 { condition: true }
rule b { condition: 1 of (a*) and 1 of (b*) }
rule b1 { condition: true }
