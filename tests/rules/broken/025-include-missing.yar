// expect: 2:9: can't open include file
include "does-not-exist.yar"
rule a { condition: true }
