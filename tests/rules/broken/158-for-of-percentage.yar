// expect: 2:47: unexpected '%'
rule a { strings: $a = "abc" condition: for 50% of them : ($) }
