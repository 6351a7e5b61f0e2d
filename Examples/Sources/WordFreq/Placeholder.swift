// WordFreq: placeholder
