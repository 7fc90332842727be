rule a { strings: $a = "abc" condition: #a == 1 and @a[1] == 0 and !a[1] == 3 and @a == 0 and !a == 3 }
