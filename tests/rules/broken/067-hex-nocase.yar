// expect: 2:34: expecting condition
rule a { strings: $a = { 01 02 } nocase condition: $a }
