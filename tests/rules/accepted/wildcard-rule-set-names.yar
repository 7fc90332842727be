// A rule set `a*` forbids later rules of the namespace starting with "a" only: other names
// are fine, and so are rules declared before the set (the rule using the set included).
rule a0 { condition: true }
rule ax { condition: 1 of (a*) }
rule b1 { condition: true }
rule c { condition: 1 of (b1*) }
rule b { condition: true }
