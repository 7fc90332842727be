// expect: 2:27: wrong type "string" for intXXXX or uintXXXX operator
rule a { condition: uint8("a") == 1 }
