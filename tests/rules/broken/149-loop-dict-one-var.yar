// expect: 3:34: iterator for "version_info" yields a key,value pair item on each iteration
import "pe"
rule a { condition: for any k in pe.version_info : (k == "a") }
