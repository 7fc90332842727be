// expect: 2:43: duplicated modifier
rule a { strings: $a = "abc" nocase ascii nocase condition: $a }
