// expect: 2:57: undefined string "$c"
rule a { strings: $a = "abc" condition: for any of ($a, $c) : ($) }
