rule a { strings: $a = { 01 02 // comment
 03 /* block */ 04 } condition: $a }
