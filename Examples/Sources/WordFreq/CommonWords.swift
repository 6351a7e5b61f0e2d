/// The most frequent ranks of the generated vocabulary: everyday English words, roughly in
/// order of frequency, so that the top of the answer reads like the top of any English text.
/// The rest of the vocabulary is made of syllables (``Vocabulary``).
enum CommonWords {
    static let list: [String] = """
    the of and to a in is it that was he for on are as with his they i at be this have from or \
    one had by but not what all were we when your can said there use an each which she do how \
    their if will up other about out many then them these so some her would make like him into \
    time has look two more write go see number no way could people my than first water been call \
    who oil its now find long down day did get come made may part over new sound take only little \
    work know place year live me back give most very after thing our just name good sentence man \
    think say great where help through much before line right too mean old any same tell boy \
    follow came want show also around form three small set put end does another well large must \
    big even such because turn here why ask went men read need land different home us move try \
    kind hand picture again change off play spell air away animal house point page letter mother \
    answer found study still learn should world don't it's i'm can't won't didn't isn't she'd \
    we're they've you'll o'clock
    """.split(separator: " ").map(String.init)
}
