// YARA 4.3 hex negation (~): rejected by 4.2.3, accepted by vitrine (no meaning changes).
rule a { strings: $a = { 01 ~02 03 } condition: $a }
