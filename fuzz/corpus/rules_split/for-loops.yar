rule a { strings: $a = "abcd" $b = "bcde" condition: for any i in (1..#a) : (@a[i] > 0) and for all i in (1, 2, 3) : (i > 0) and for 2 of ($a, $b) : ($ at @a[1] and # > 0 and ! > 0 and @ >= 0) }
