// expect: 4:6: rule identifier "a1" matches previously used wildcard rule set
rule a0 { condition: true }
rule b { condition: 1 of (a*) }
rule a1 { condition: true }
