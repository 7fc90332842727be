rule a { strings: $x1 = "abc" $x2 = "bcd" $y = "cde" condition: 2 of ($x*) and $y }
