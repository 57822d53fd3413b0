"""Names and places the synthetic city draws from.

Frequencies are rough but shaped like a register's: a head of common surnames (de Vries,
Jansen, de Jong, Yılmaz) so that different people share surname, given name and sometimes
birth date, and a long tail of rare ones (SURNAME_TAILS) so that most names are held by few. Origin groups follow the CBS codes used in the register extract.
"""
from __future__ import annotations

import unicodedata

ORIGINS = ("NL", "MA", "TR", "SR", "ANT", "other")

# (prefix, surname, weight). Weights are relative within an origin group.
SURNAMES: dict[str, list[tuple[str, str, float]]] = {
    "NL": [
        ("de", "Vries", 9), ("", "Jansen", 9), ("de", "Jong", 8), ("van", "Dijk", 6),
        ("", "Bakker", 6), ("", "Visser", 6), ("", "Smit", 6), ("", "Meijer", 5),
        ("de", "Boer", 5), ("", "Mulder", 5), ("de", "Groot", 5), ("", "Bos", 5),
        ("", "Vos", 4), ("", "Peters", 4), ("", "Hendriks", 4), ("van der", "Berg", 4),
        ("van den", "Berg", 4), ("", "Dekker", 4), ("van", "Leeuwen", 3), ("", "Dijkstra", 4),
        ("de", "Wit", 3), ("", "Brouwer", 3), ("de", "Graaf", 3), ("van der", "Meer", 3),
        ("", "Kok", 3), ("", "Jacobs", 3), ("", "Koster", 3), ("van der", "Linden", 2),
        ("", "Postma", 3), ("", "Hoekstra", 3), ("", "Bosma", 3), ("", "Wiersma", 2),
        ("", "Huisman", 3), ("", "Kuipers", 2), ("", "Veenstra", 2), ("", "Boersma", 2),
        ("ter", "Horst", 2), ("", "Zijlstra", 2), ("van", "Wijk", 2), ("", "Schouten", 2),
        ("", "Prins", 2), ("", "Vermeulen", 2), ("van 't", "Hof", 1), ("", "Kramer", 2),
        ("", "Kuiper", 2), ("", "Hofstra", 2), ("", "Smits", 2), ("ten", "Brink", 1),
        ("van", "Beek", 2), ("", "Timmerman", 2), ("", "Wolters", 2), ("", "Bouma", 2),
        ("", "Sikkema", 1), ("", "Tuinstra", 1), ("", "Haan", 1), ("de", "Haan", 2),
        ("", "Mol", 2), ("", "Oosterhof", 1), ("", "Nijboer", 1), ("", "Elzinga", 1),
        ("", "Scholten", 2), ("", "Hovenkamp", 1), ("van", "Zanten", 1), ("", "Molenaar", 2),
        ("", "Noordhuis", 1), ("", "Drenth", 1), ("", "Stoffels", 1), ("van", "Houten", 1),
        ("de", "Ruiter", 1), ("van der", "Veen", 2), ("", "Vrieling", 1), ("", "Heeres", 1),
        ("", "Pruim", 1), ("", "Wierenga", 1), ("", "Zuidema", 1), ("", "Groeneveld", 1),
    ],
    "MA": [
        ("", "Benali", 5), ("", "El Idrissi", 4), ("", "El Amrani", 4), ("", "Bouzid", 3),
        ("", "Ouali", 3), ("", "Aziz", 2), ("", "Ait Ben Ali", 2), ("", "El Khatib", 2),
        ("", "Bakkali", 3), ("", "Azzouz", 2), ("", "Chaoui", 2), ("", "El Hamdaoui", 2),
        ("", "Boukhari", 2), ("", "Tahiri", 2), ("", "Ziani", 2), ("", "Mansouri", 2),
        ("", "Amrani", 2), ("", "Haddouchi", 1), ("", "Essaadi", 1), ("", "Ouchan", 1),
    ],
    "TR": [
        ("", "Yılmaz", 6), ("", "Öztürk", 5), ("", "Çelik", 4), ("", "Şahin", 4),
        ("", "Demir", 5), ("", "Kaya", 5), ("", "Aydın", 4), ("", "Doğan", 3),
        ("", "Kılıç", 3), ("", "Arslan", 3), ("", "Koç", 3), ("", "Güler", 2),
        ("", "Özdemir", 3), ("", "Yıldız", 3), ("", "Erdoğan", 2), ("", "Polat", 2),
        ("", "Aksoy", 2), ("", "Kurt", 2), ("", "Türk", 1), ("", "Keskin", 1),
    ],
    "SR": [
        ("", "Sitaldin", 2), ("", "Ramdin", 2), ("", "Jagroep", 2), ("", "Biharie", 2),
        ("", "Kartosen", 1), ("", "Pinas", 2), ("", "Wijngaarde", 2), ("", "Doekhie", 2),
        ("", "Mahabier", 2), ("", "Sewnath", 1), ("", "Ramsaran", 1), ("", "Bhagwandin", 1),
        ("", "Karsters", 1), ("", "Linger", 1), ("", "Kromodimedjo", 1), ("", "Fränkel", 1),
    ],
    "ANT": [
        ("", "Martina", 3), ("", "Felida", 2), ("", "Isenia", 2), ("", "Rosaria", 2),
        ("", "Cijntje", 2), ("", "Maduro", 2), ("", "Janga", 2), ("", "Winklaar", 1),
        ("", "Croes", 1), ("", "Statia", 1), ("", "Sillé", 1), ("", "Doran", 1),
    ],
    "other": [
        ("", "Nowak", 3), ("", "Kowalski", 2), ("", "Noël", 1), ("", "Müller", 2),
        ("", "Hassan", 3), ("", "Mohamed", 3), ("", "Ahmadi", 2), ("", "Nguyen", 2),
        ("", "Kovač", 1), ("", "Popescu", 1), ("", "Wiśniewski", 1), ("", "Schröder", 1),
        ("", "Ali", 2), ("", "Abdi", 2), ("", "Haile", 1), ("", "Wang", 1),
        ("", "da Silva", 1), ("", "Fernández", 1), ("", "Dubois", 1), ("", "Lefèvre", 1),
        ("", "Rahimi", 1), ("", "Karimi", 1), ("", "Petrović", 1), ("", "Smith", 1),
    ],
}

# The long tail. Real registers hold tens of thousands of surnames: the Netherlands has
# about 300,000 (Meertens Instituut), and its most common, de Jong, is carried by 0.5 % of
# the population; the ten most common together by under 4 %. Turkish-, Moroccan-,
# Surinamese- and Antillean-Dutch surnames are spread as thin (a surname law, a civil
# registry or an indenture register gave families their own). A city drawn only from the
# lists above would hold each name a hundred times over and make "Abdullahi Kowalski" a
# name two strangers share, which no linker, however good, can tell apart; the tail keeps
# the common names common (they are the hard cases) and makes the rest as rare as they are.
# Per origin: the share of people with a tail surname, and the parts it is built from
# (each tail surname joins one part of each list; "" leaves a part out).
SURNAME_TAILS: dict[str, tuple[float, tuple[tuple[str, ...], ...]]] = {
    "NL": (0.8, (
        ("Hof", "Wier", "Zijl", "Bos", "Veen", "Dijk", "Kamp", "Holt", "Brink", "Meer",
         "Sloot", "Wold", "Horn", "Lin", "Elz", "Hoek", "Kooi", "Nij", "Smed", "Tjal",
         "Wester", "Ooster", "Noord", "Zuid", "Heem", "Groen", "Dam", "Molen", "Til", "Vel",
         "Sikk", "Douw", "Jell", "Hett", "Roel", "Sieb", "Tamm", "Wieb", "Epp", "Harm",
         "Geert", "Klaas", "Pieter", "Jans", "Hend", "Ald", "Bart", "Dirk", "Ebb", "Fokk",
         "Gerl", "Hidd", "Ids", "Jouk", "Lieuw", "Menn", "Okk", "Popp", "Reit", "Sjoerd",
         "Tiet", "Uit", "Wals", "Ykem", "Zand", "Haak", "Kuip", "Lok", "Mel", "Nien", "Oost",
         "Pols", "Raan", "Schol", "Stien", "Ter", "Vlie",
         "Ank", "Bolt", "Buit", "Diep", "Eek", "Feit", "Gaast", "Ham", "Hul", "Jip", "Keun",
         "Lang", "Mars", "Nieuw", "Oud", "Plas", "Rijp", "Sand", "Slag", "Teun", "Vaart",
         "Wijn", "Aaf", "Bouw", "Drent", "Eland", "Feddr", "Grev", "Hom", "Kort", "Leeuw",
         "Mook", "Nobb", "Over", "Prak", "Rutg", "Scheep", "Tuin", "Vred", "Zwart"),
        ("", "e", "er", "en", "el", "s", "k", "ter", "d", "h"),
        ("stra", "sma", "ma", "inga", "ema", "huis", "ink", "man", "ing", "enga", "ens",
         "sen", "ker", "hof", "kamp", "veld", "berg", "ga", "nga", "es"),
    )),
    "MA": (0.85, (
        ("", "", "", "El ", "Ben ", "Ait ", "Abou "),
        ("Haddad", "Amr", "Bouch", "Azark", "Marzouk", "Ouahab", "Kharb", "Jell", "Tahir",
         "Bakk", "Idriss", "Hamd", "Mouss", "Yahy", "Rif", "Fass", "Ghazal", "Mekk", "Nass",
         "Sadik", "Touns", "Wahb", "Zerk", "Lahc", "Achah", "Boukh", "Chakr", "Dahm", "Ferh",
         "Guerr", "Ham", "Karr", "Maz", "Oujd", "Saf", "Abd", "Bell", "Charr", "Derk",
         "Ennouh", "Fadl", "Habch", "Jabr", "Kass", "Loukil", "Mahj", "Nad", "Rach", "Slim",
         "Talb"),
        ("aoui", "ani", "i", "ouni", "ach", "ouchi", "ari", "iri", "ane", "ati", "ou"),
    )),
    "TR": (0.8, (
        ("Ak", "Kara", "Öz", "Er", "Yıl", "Gül", "Tek", "Bay", "Ay", "Şen", "Uz", "Kay",
         "Demir", "Çak", "Gök", "Tun", "Kılıç", "Bulut", "Duman", "Yurt", "Taş", "Kar",
         "Sarı", "Ateş", "Bozk", "Cin", "Dur", "Ekin", "Fidan", "Genç", "Altın", "Baş",
         "Çelik", "Doğru", "Eren", "Işık", "Koca", "Oral", "Sezer", "Ünal", "Acar", "Bilgin",
         "Coşkun", "Deniz", "Ergün", "Güven", "Inan", "Karaca", "Metin", "Özkan", "Sağlam",
         "Tür", "Uysal", "Yavuz", "Zengin", "Akın", "Bozkurt", "Dinç", "Elmas", "Kurtul"),
        ("han", "soy", "kan", "can", "taş", "doğan", "demir", "ay", "türk", "el", "er",
         "oğlu", "kaya", "yol", "göz", "baş", "ok", "tekin", "al", "men", "yiğit", "gün",
         "ses", "kurt", "dağ"),
    )),
    "SR": (0.8, (
        ("Ram", "Sew", "Jag", "Bal", "Gan", "Man", "Raj", "Kis", "Mah", "Ses", "Bhag", "Dew",
         "Har", "Lach", "Mo", "Nan", "Pers", "Sit", "Bis", "Chot", "Ab", "Bud", "Dha", "Gir",
         "Jan", "Kal", "Lal", "Mat", "Oedit", "Pah", "Rag", "Sard", "Tew", "Wah", "Ach",
         "Baldew", "Chit", "Dool", "Ganga", "Hira", "Jhin", "Kanh", "Madho", "Nand", "Parb",
         "Ramk", "Soek", "Tilak", "Wong"),
        ("dien", "sing", "nath", "persad", "roep", "bali", "harie", "kisoen", "adhin", "lal",
         "charan", "dat", "jit", "saran", "ai", "man", "ram", "oe", "doelan", "pal"),
    )),
    "ANT": (0.8, (
        ("Mart", "Ros", "Cijnt", "Mad", "Jan", "Winkl", "Cro", "Stat", "Sill", "Dor", "Isen",
         "Fel", "Mer", "Cor", "Pie", "Leo", "Vict", "Ant", "Berend", "Hernand", "Gir", "Kle",
         "Ler", "Obisp", "Pauletti", "Quast", "Rich", "Sem", "Trin", "Zimm", "Alb", "Bern",
         "Cas", "Dom", "Ell", "Flor", "Gom", "Hod", "Ign", "Juli", "Lop", "Mont", "Nicol",
         "Ort", "Pin"),
        ("ina", "aria", "je", "uro", "ga", "aar", "es", "ia", "é", "an", "ez", "ito", "sen",
         "ida", "er", "ona", "ard", "ius"),
    )),
    "other": (0.85, (
        ("Now", "Kowal", "Wiśniew", "Kamiń", "Lewand", "Zieliń", "Szyman", "Dąbrow", "Hass",
         "Moham", "Abd", "Ahm", "Yus", "Ibrah", "Osm", "Far", "Wars", "Jam", "Nguy", "Tr",
         "Ph", "Hoa", "Petr", "Jovan", "Nik", "Popesc", "Ionesc", "Fernand", "Rodrig", "Sil",
         "Kar", "Rah", "Hak", "Naz", "Ser", "Gab", "Tesf", "Ghebr", "Mul", "Schm", "Wang",
         "Chen", "Li", "Zhang", "Kov", "Horv", "Nagy", "Sant", "Ferr", "Ross", "Mart", "Gonz",
         "Rasul", "Haid", "Sadeq", "Kurd", "Alem", "Bekele", "Smir", "Ivan", "Wójc", "Kozł",
         "Mazur", "Krawc", "Pavl", "Mark", "Steff", "Baum", "Weber", "Fisch", "Dub", "Mor",
         "Laur", "Silv", "Olive", "Cost", "Abub", "Musa", "Idr", "Sul"),
        ("ski", "ska", "czyk", "ak", "ewicz", "owski", "an", "ed", "i", "ullah", "adi",
         "ow", "e", "en", "ović", "escu", "ez", "ai", "emariam", "er"),
    )),
}


def surname_tail(origin: str) -> list[str]:
    """Every surname of an origin's tail: one part of each list, in a fixed order."""
    _, parts = SURNAME_TAILS[origin]
    names = [""]
    for part in parts:
        names = [a + b for a in names for b in part]
    # "El Haddadaoui" and "Haddadaoui" are both names; only the unique spellings stay.
    return sorted(set(names))


# Given names by origin and sex; Dutch names also by birth cohort, because a register
# mixes generations (Cornelis, Wilhelmina for the elderly; Daan, Tess for children).
_NL_M = {
    "old": ["Jan", "Cornelis", "Hendrik", "Johannes", "Pieter", "Willem", "Gerrit", "Jacobus",
            "Klaas", "Albertus", "Theodorus", "Antonius", "Franciscus", "Gerardus", "Adrianus",
            "Bernardus", "Nicolaas", "Hendrikus", "Harm", "Roelof", "Geert", "Egbert", "Lambertus",
            "Derk", "Jelle", "Sieger", "Wiebe", "Tjeerd", "Lubbert", "Arend", "Hindrik",
            "Menno", "Jacob", "Freerk", "Abraham", "Berend", "Dirk", "Evert", "Frederik",
            "Gijsbert", "Hermanus", "Izaäk", "Jurjen", "Lodewijk", "Marinus", "Otto", "Reinder",
            "Sybren", "Wijnand"],
    "mid": ["Peter", "Mark", "Jeroen", "Dennis", "Erik", "Marco", "Richard", "Martijn",
            "Bas", "Michiel", "Jan", "Robert", "Arjen", "Wouter", "Sander", "Patrick",
            "Kevin", "Ronald", "Maarten", "Johannes", "Cornelis", "Hendrik", "Remco", "Edwin",
            "Frank", "Rutger", "Gert-Jan", "Jasper", "Hans", "Vincent", "Niels", "Tjitze",
            "Marcel", "Bart", "Joost", "Hidde", "Alexander", "Bjorn", "Danny", "Erwin",
            "Gerben", "Harold", "Ivo", "Jorrit", "Leon", "Mathijs", "Olaf", "Pim", "Roy", "Stefan",
            "Thomas"],
    "young": ["Daan", "Sem", "Lucas", "Finn", "Bram", "Thijs", "Ruben", "Jesse", "Milan",
              "Levi", "Luuk", "Noah", "Stijn", "Gijs", "Tim", "Lars", "Jan", "Tom", "Sven",
              "Joris", "Kees", "Mats", "Siem", "Jurre", "Teun", "Hugo", "Bas", "Mees", "Julian",
              "Olivier", "Jayden", "Dex", "Sepp", "Wessel", "Tijn", "Floris", "Pepijn", "Boaz",
              "Cas", "Daniël", "Ezra", "Guus", "Ids", "Jelmer", "Koen", "Melle", "Nout", "Owen",
              "Quinten", "Rens", "Sil", "Vince"],
}
_NL_V = {
    "old": ["Anna", "Maria", "Johanna", "Wilhelmina", "Hendrika", "Cornelia", "Elisabeth",
            "Catharina", "Margaretha", "Geertruida", "Aaltje", "Grietje", "Jantje", "Trijntje",
            "Aleida", "Jacoba", "Gerda", "Alida", "Harmke", "Geesje", "Roelfien", "Trientje",
            "Klaasje", "Hillegonda", "Berendina", "Fokje", "Jeltje", "Antje", "Adriana",
            "Bertha", "Dina", "Everdina", "Froukje", "Gesina", "Hiltje", "Ida", "Janna", "Lamberta",
            "Martha", "Pietje", "Reina", "Sjoukje", "Tetje"],
    "mid": ["Petra", "Linda", "Sandra", "Esther", "Monique", "Marieke", "Anja", "Ingrid",
            "Miranda", "Saskia", "Karin", "Wendy", "Sanne", "Anna Maria", "Maria", "Renate",
            "Marloes", "Ilse", "Janneke", "Hilde", "Mirjam", "Yvonne", "Jolanda", "Annemiek",
            "Brenda", "Natasja", "Femke", "Wietske", "Ellen", "Bianca", "Chantal", "Sietske",
            "Astrid", "Carla", "Daniëlle", "Eveline", "Froukje", "Gea", "Heleen", "Inge", "Jolien",
            "Kim", "Lianne", "Nicole", "Paula", "Tineke", "Willemijn"],
    "young": ["Emma", "Tess", "Sophie", "Julia", "Lotte", "Femke", "Noor", "Sanne", "Iris",
              "Lisa", "Eva", "Anna", "Fleur", "Zoë", "Isa", "Fenna", "Chloë", "Roos", "Saar",
            "Evi", "Lieke", "Mila", "Nina", "Yara", "Jasmijn", "Esmee", "Romy", "Britt", "Maud",
            "Liv", "Feline", "Anouk", "Sara", "Demi", "Amber", "Bente", "Dewi", "Elin",
            "Floor", "Hanna", "Ilse", "Jet", "Kiki", "Lynn", "Merel", "Nova", "Puck", "Sophia",
            "Vera"],
}
GIVEN: dict[tuple[str, str], list[str]] = {
    ("MA", "M"): ["Mohammed", "Youssef", "Ahmed", "Mustafa", "Karim", "Said", "Rachid",
                  "Hamza", "Bilal", "Ayoub", "Ilias", "Adam", "Anouar", "Nordin", "Abdelkader",
                  "Driss", "Hassan", "Othman", "Soufiane", "Zakaria", "Yassine", "Redouan",
                  "Mourad", "Tarik"],
    ("MA", "V"): ["Fatima", "Khadija", "Naima", "Malika", "Samira", "Nadia", "Yasmina",
                  "Soukaina", "Ikram", "Salma", "Aya", "Imane", "Hafsa", "Meryem", "Latifa",
                  "Zineb", "Houda", "Loubna", "Rachida", "Hanane", "Siham", "Wafae", "Najat",
                  "Asmae"],
    ("TR", "M"): ["Mehmet", "Ahmet", "Mustafa", "Emre", "Hüseyin", "İbrahim", "Murat", "Can",
                  "Yusuf", "Ömer", "Burak", "Kerem", "Serkan", "Oğuz", "Hasan", "Ali", "Cem",
                  "Erkan", "Gökhan", "Hakan", "Levent", "Orhan", "Selim", "Volkan", "Tolga"],
    ("TR", "V"): ["Ayşe", "Fatma", "Emine", "Elif", "Zeynep", "Hatice", "Büşra", "Gül",
                  "Merve", "Özlem", "Esra", "Şule", "Derya", "Sevgül", "Aysel", "Dilek",
                  "Filiz", "Hülya", "Nur", "Sibel", "Tuğba", "Yasemin", "Ebru", "Gülsen"],
    ("SR", "M"): ["Ravi", "Rajesh", "Sunil", "Dinesh", "Romano", "Glenn", "Ricardo", "Anil",
                  "Shiwan", "Orlando", "Dave", "Kishan", "Ashwin", "Navin", "Radjesh", "Rakesh",
                  "Satish", "Vikash", "Errol", "Humphrey", "Marlon", "Rudy", "Stanley",
                  "Jerrel"],
    ("SR", "V"): ["Shanti", "Sarita", "Anita", "Reshma", "Priya", "Ingrid", "Jennifer",
                  "Sharda", "Romy", "Kavita", "Naomi", "Chantal", "Asha", "Dewika", "Nirmala",
                  "Radha", "Sunita", "Usha", "Cynthia", "Gracia", "Mireille", "Sheila",
                  "Tamara", "Wendy"],
    ("ANT", "M"): ["Jurgen", "Ruthsel", "Shurendy", "Jairo", "Giovanni", "Sherwin", "Edsel",
                   "Rignald", "Curtley", "Jean-Paul", "Dudley", "Eldrick", "Gilbert", "Jeffrey",
                   "Lionel", "Miguel", "Rudsel", "Shaquille", "Sidney", "Urvin"],
    ("ANT", "V"): ["Shudyanne", "Giselle", "Ruthmila", "Jacqueline", "Shanaira", "Sharine",
                   "Genaira", "Rose-Marie", "Natasha", "Yesenia", "Anushka", "Dianne", "Esmeralda",
                   "Gisela", "Jamila", "Luzmila", "Marisol", "Nathaly", "Shurelle", "Zuleyka"],
    ("other", "M"): ["Piotr", "Tomasz", "Ali", "Mohamed", "Reza", "Ahmad", "Thanh", "Stefan",
                     "Jean", "René", "André", "José", "Andrei", "Abdullahi", "Dawit", "Krzysztof",
                     "Marek", "Pawel", "Omar", "Farid", "Hamid", "Minh", "Duc", "Nikola",
                     "Dragan", "Mihai", "Carlos", "Luis", "Tesfaye", "Yonas"],
    ("other", "V"): ["Agnieszka", "Katarzyna", "Maryam", "Amina", "Fatemeh", "Linh", "Anaïs",
                     "Inês", "Hélène", "Ioana", "Sara", "Hodan", "Saba", "Noëlle", "Magdalena",
                     "Joanna", "Ewa", "Zahra", "Leila", "Mai", "Huong", "Jelena", "Milica",
                     "Elena", "Ana", "Lucía", "Senait", "Helen", "Ilham", "Nasra"],
}

# Names parents give siblings (or twins) that share a stem: in a large family with similar
# names the children are drawn from one group (or at least share its initial), so that
# initials and fuzzy name comparison cannot tell them apart.
SIBLING_STEMS: dict[tuple[str, str], list[list[str]]] = {
    ("NL", "M"): [["Jan", "Jannes", "Jannick", "Janco"], ["Thijs", "Thijmen", "Tijn"],
                  ["Daan", "Daniël", "Dani"], ["Sem", "Semmy", "Siem"],
                  ["Luuk", "Lucas", "Luc"], ["Jesse", "Jelle", "Jelmer"],
                  ["Ruben", "Rune", "Rens"], ["Bram", "Bas", "Bart"]],
    ("NL", "V"): [["Marieke", "Marije", "Marit", "Maria"], ["Anna", "Anne", "Annika", "Anouk"],
                  ["Sanne", "Sandra", "Saar"], ["Lotte", "Lotje", "Lieke"],
                  ["Femke", "Fenna", "Feline"], ["Lisa", "Lise", "Liv"],
                  ["Jet", "Jetske", "Jente"], ["Roos", "Romy", "Rosa"]],
    ("MA", "M"): [["Mohammed", "Mohsin", "Mounir", "Mourad"], ["Ahmed", "Achraf", "Adam"],
                  ["Hamza", "Hamid", "Hassan"], ["Youssef", "Younes", "Yassine"],
                  ["Ilias", "Ismail", "Imran"]],
    ("MA", "V"): [["Fatima", "Fatiha", "Farida"], ["Salma", "Samira", "Sanae"],
                  ["Imane", "Ikram", "Ilham"], ["Nadia", "Naima", "Najat"],
                  ["Hafsa", "Hanane", "Houda"]],
    ("TR", "M"): [["Mehmet", "Mert", "Metin"], ["Emre", "Emir", "Enes"],
                  ["Burak", "Berk", "Berkay"], ["Yusuf", "Yunus", "Yiğit"]],
    ("TR", "V"): [["Zeynep", "Zehra", "Zerrin"], ["Esra", "Esma", "Ece"],
                  ["Büşra", "Buse", "Burcu"], ["Merve", "Meryem", "Melek"]],
    ("SR", "M"): [["Ravi", "Rajesh", "Radjesh", "Rakesh"], ["Sunil", "Sunny", "Suresh"],
                  ["Anil", "Anand", "Ashwin"]],
    ("SR", "V"): [["Sarita", "Sarika", "Sunita"], ["Reshma", "Reshmi", "Radha"],
                  ["Priya", "Prija", "Priscilla"]],
    ("ANT", "M"): [["Jurgen", "Jurick", "Jurandy"], ["Shurendy", "Shurick", "Sherwin"],
                   ["Rignald", "Rigino", "Ruthsel"]],
    ("ANT", "V"): [["Shudyanne", "Shurelle", "Sharine", "Shanaira"],
                   ["Giselle", "Gisela", "Genaira"]],
    ("other", "M"): [["Piotr", "Pawel", "Patryk"], ["Tomasz", "Tymon", "Tobiasz"],
                     ["Ali", "Alim", "Amir"], ["Nikola", "Nikolai", "Niko"]],
    ("other", "V"): [["Agnieszka", "Aga", "Anna"], ["Katarzyna", "Kasia", "Karolina"],
                     ["Maryam", "Marya", "Mariam"], ["Amina", "Amira", "Aminata"]],
}

# Official name -> the call names agencies write down (roepnaam) or other transliterations.
NICKNAMES: dict[str, list[str]] = {
    "Cornelis": ["Kees", "Cor"], "Hendrik": ["Henk", "Henny"], "Johannes": ["Hans", "Jan", "Joop"],
    "Jacobus": ["Koos", "Jaap"], "Pieter": ["Piet"], "Willem": ["Wim"], "Gerrit": ["Gert"],
    "Wilhelmina": ["Willy", "Mien"], "Johanna": ["Jo", "Annie"], "Catharina": ["Toos", "Karin"],
    "Elisabeth": ["Els", "Liesbeth", "Bep"], "Margaretha": ["Greet", "Margriet"],
    "Theodorus": ["Theo"], "Franciscus": ["Frans"], "Antonius": ["Toon", "Ton"],
    "Adrianus": ["Adrie", "Janus"], "Gerardus": ["Gerard"], "Hendrika": ["Riek", "Henny"],
    "Maria": ["Marijke", "Ria", "Mieke"], "Aleida": ["Alie"], "Geertruida": ["Truus"],
    "Nicolaas": ["Klaas", "Niek"], "Bernardus": ["Ben"], "Albertus": ["Bert"],
    "Hendrikus": ["Henk"], "Cornelia": ["Corrie", "Nel"], "Jacoba": ["Coby"],
    "Mohammed": ["Mohamed", "Mo"], "Youssef": ["Yousef", "Joessef"], "Mustafa": ["Mustapha"],
    "Fatima": ["Fatma"], "Khadija": ["Khadidja"], "Rachid": ["Rashid"], "Said": ["Saïd"],
    "Hüseyin": ["Huseyin"], "Thanh": ["Tan"], "Anna Maria": ["Ans", "Annemarie"],
}

# Characters cp1252 (and many old systems) cannot hold, and what agencies type instead.
_TRANSLIT = str.maketrans({"ı": "i", "İ": "I", "ş": "s", "Ş": "S", "ğ": "g", "Ğ": "G",
                           "ł": "l", "Ł": "L", "ß": "ss", "ć": "c", "ś": "s", "č": "c"})


def strip_diacritics(text: str) -> str:
    """Öztürk -> Ozturk, Yılmaz -> Yilmaz: what a system without diacritics stores."""
    if text.isascii():
        return text
    text = text.translate(_TRANSLIT)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def to_cp1252(text: str) -> str:
    """Keep what cp1252 can hold (ö, ü, ç, ë, é) and transliterate the rest (ş, ı, ğ)."""
    if text.isascii():
        return text
    out = []
    for ch in text:
        try:
            ch.encode("cp1252")
            out.append(ch)
        except UnicodeEncodeError:
            out.append(strip_diacritics(ch))
    return "".join(out)


# Groningen-like neighbourhood names, first the real wijken, then buurten for big cities.
NEIGHBOURHOOD_NAMES = [
    "Centrum", "Oosterpark", "Beijum", "Lewenborg", "Vinkhuizen", "Selwerd", "Paddepoel",
    "Hoogkerk", "De Wijert", "Helpman", "Corpus den Hoorn", "Korrewegwijk", "De Hoogte",
    "Schildersbuurt", "Zeeheldenbuurt", "Rivierenbuurt", "Herewegbuurt", "Laanhuizen",
    "Vogelbuurt", "Indische Buurt", "Hoornse Meer", "Hoornse Park", "Piccardthof",
    "Ruischerbrug", "Noorddijk", "Engelbert", "Meerstad", "Reitdiep", "De Held", "Gravenburg",
    "Drielanden", "Ulgersmaborg", "Kostverloren", "Van Starkenborgh", "Tuinwijk", "Oranjewijk",
    "Noorderplantsoenbuurt", "Hortusbuurt", "Professorenbuurt", "Grunobuurt", "Sterrebos",
    "Europapark", "Zuiderpark", "Damsterbuurt", "Oosterhoogebrug", "De Linie", "Eemskanaalzone",
    "Hunzeboord", "Klein Martijn", "Villabuurt", "Badstratenbuurt", "Kop van Oost",
    "Oosterpoort", "Florabuurt", "Bloemenbuurt", "Hoendiep", "Dorkwerd", "Zernike",
    "Euvelgunne", "Middelbert", "Ter Borch", "Ter Aard", "Westpark", "Roodehaan",
]

STREET_ROOTS = [
    "Ooster", "Heere", "Vecht", "Damster", "Korre", "Paterswoldse", "Helperzoom",
    "Zuider", "Noorder", "Wester", "Ubbo Emmius", "Rembrandt", "Vermeer", "Frans Hals",
    "Jozef Israëls", "Mesdag", "Merel", "Lijster", "Vink", "Zwaluw", "Reiger", "Kievit",
    "Roos", "Tulp", "Lelie", "Anjer", "Iris", "Berken", "Eiken", "Linden", "Wilgen", "Esdoorn",
    "Eems", "Hunze", "Drentse Aa", "Reitdiep", "Schelde", "Maas", "Rijn", "Waal", "IJssel",
    "Ameland", "Texel", "Vlieland", "Terschelling", "Schiermonnikoog", "Drenthe", "Friesland",
    "Zeeland", "Utrecht", "Bach", "Mozart", "Beethoven", "Chopin", "Sweelinck", "De Ruyter",
    "Tromp", "Piet Hein", "Van Speijk", "Karel Doorman", "Van Heemskerck", "Lodewijk",
    "Aletta Jacobs", "Kapteyn", "Zernike", "Bernoulli", "Huygens", "Lorentz", "Kamerlingh Onnes",
    "Java", "Sumatra", "Borneo", "Celebes", "Bali", "Madoera", "Atjeh", "Molukken",
    "Gorecht", "Helper", "Wijert", "Hoogkerk", "Leeuwarder", "Zuidhorner", "Aduarder",
]
STREET_SUFFIXES = ["straat", "laan", "weg", "plein", "dreef", "hof", "kade", "pad", "singel",
                   "diep"]
