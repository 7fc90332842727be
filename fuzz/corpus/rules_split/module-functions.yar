import "pe"
import "math"
import "hash"
rule a { condition: pe.imports("kernel32.dll", "CreateFileA") and pe.imports(/kernel32/i, /Create/) and pe.exports(1) and math.entropy(0, filesize) > 7.0 and math.to_number(true) == 1 and hash.md5(0, filesize) == "x" and pe.rich_signature.toolid(1, 2) >= 0 }
