// Hex jump lengths at the edge of yara 4.2.3's limits (its lexer reads them with atoi), all
// accepted by yarac.
rule jumps {
  strings:
    $max = { 61 [2147483647] 62 }
    $range = { 61 [0-2147483647] 62 }
    $open = { 61 [2147483647-] 62 }
    $wraps_to_one = { 61 [4294967297] 62 }
    $wraps_to_zero = { 61 [4294967296-] 62 }
    $alternation = { 61 ( 62 | 63 [200] 64 | 65 [0-200] 66 ) 67 }
    $alternation_wraps = { 61 ( 62 | 63 [4294967496] 64 ) 67 }
    $empty = { 61 [0-0] 62 }
  condition:
    any of them
}
