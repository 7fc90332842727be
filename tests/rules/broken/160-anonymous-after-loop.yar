// expect: 2:67: wrong use of anonymous string
rule a { strings: $a = "abc" condition: for any of them : ($) and @ > 0 }
