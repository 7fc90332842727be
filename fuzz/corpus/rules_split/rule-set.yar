rule r1 { condition: true }
rule r2 { condition: false }
rule a { condition: any of (r*) and all of (r1, r2) }
