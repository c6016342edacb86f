"""Riverton's departments and the services residents can ask for, in English and Spanish.

Pure data. Each service carries sample descriptions (what residents write), a "done" message
(what the crew says when it is fixed) and a relative weight (how often residents ask for it).
"""

from civicdesk.cases.models import Datatype, Priority

DEPARTMENTS = [
    # code, name, Spanish name, contact e-mail
    ("public-works", "Public Works", "Obras Públicas", "publicworks@riverton.example.org"),
    ("parks", "Parks and Recreation", "Parques y Recreación", "parks@riverton.example.org"),
    ("sanitation", "Sanitation", "Saneamiento", "sanitation@riverton.example.org"),
    ("transportation", "Transportation", "Transporte", "transportation@riverton.example.org"),
    ("water", "Water and Sewer", "Agua y Alcantarillado", "water@riverton.example.org"),
    ("code-enforcement", "Code Enforcement", "Inspección de Códigos", "inspections@riverton.example.org"),
    ("animal-services", "Animal Services", "Servicios de Animales", "animals@riverton.example.org"),
]

GROUPS = {
    "Streets and sidewalks": "Calles y aceras",
    "Trash and recycling": "Basura y reciclaje",
    "Parks and trees": "Parques y árboles",
    "Traffic and parking": "Tránsito y estacionamiento",
    "Water and sewer": "Agua y alcantarillado",
    "Housing and buildings": "Vivienda y edificios",
    "Animals": "Animales",
}


def _question(code, datatype, label, label_es, *, required=False, help_text="", help_es="", values=()):
    translations = {"es": {"label": label_es}}
    if help_es:
        translations["es"]["help_text"] = help_es
    return {
        "code": code,
        "datatype": datatype,
        "label": label,
        "required": required,
        "help_text": help_text,
        "translations": translations,
        "values": [{"key": k, "name": name, "translations": {"es": es}} for k, name, es in values],
    }


def single(code, label, label_es, values, **kwargs):
    return _question(code, Datatype.SINGLE, label, label_es, values=values, **kwargs)


def multi(code, label, label_es, values, **kwargs):
    return _question(code, Datatype.MULTI, label, label_es, values=values, **kwargs)


def number(code, label, label_es, low, high, **kwargs):
    question = _question(code, Datatype.NUMBER, label, label_es, **kwargs)
    question["sample"] = (low, high)
    return question


def string(code, label, label_es, samples, **kwargs):
    question = _question(code, Datatype.STRING, label, label_es, **kwargs)
    question["sample"] = samples
    return question


def text(code, label, label_es, samples, **kwargs):
    question = _question(code, Datatype.TEXT, label, label_es, **kwargs)
    question["sample"] = samples
    return question


def moment(code, label, label_es, **kwargs):
    """A date-and-time question; sample answers fall in the day or two before the report."""
    return _question(code, Datatype.DATETIME, label, label_es, **kwargs)


YES_NO = [("yes", "Yes", "Sí"), ("no", "No", "No")]
BINS = [
    ("trash", "Trash", "Basura"),
    ("recycling", "Recycling", "Reciclaje"),
    ("yard", "Yard waste", "Restos de jardín"),
]


def service(code, department, group, name, name_es, description, description_es, **extra):
    return {
        "code": code,
        "department": department,
        "group": group,
        "name": name,
        "description": description,
        "translations": {"es": {"name": name_es, "description": description_es, "group": GROUPS[group]}},
        "keywords": extra.get("keywords", ""),
        "priority": extra.get("priority", Priority.NORMAL),
        "weight": extra.get("weight", 1.0),
        "questions": extra.get("questions", []),
        "samples": extra.get("samples", []),
        "samples_es": extra.get("samples_es", []),
        "done": extra.get(
            "done",
            (
                "The work is done. Thank you for reporting it.",
                "El trabajo está hecho. Gracias por avisarnos.",
            ),
        ),
        "days": extra.get("days", 5),
    }


STREETS = "Streets and sidewalks"
TRASH = "Trash and recycling"
PARKS = "Parks and trees"
TRAFFIC = "Traffic and parking"
WATER = "Water and sewer"
HOUSING = "Housing and buildings"
ANIMALS = "Animals"

SERVICES = [
    # ------------------------------------------------------------ Streets and sidewalks
    service(
        "pothole",
        "public-works",
        STREETS,
        "Pothole",
        "Bache",
        "A hole or sunken patch in the road surface.",
        "Un hoyo o hundimiento en el pavimento de la calle.",
        keywords="hole, road, asphalt, pavement, crater",
        weight=9,
        days=4,
        questions=[
            single(
                "depth",
                "How deep is it?",
                "¿Qué tan profundo es?",
                [
                    ("shallow", "Shallow (under 5 cm)", "Poco profundo (menos de 5 cm)"),
                    ("medium", "About a hand deep", "Como una mano de profundo"),
                    ("deep", "Deep enough to damage a tire", "Tan profundo que puede dañar una llanta"),
                ],
                required=True,
            ),
            number(
                "width_cm", "About how wide, in centimetres?", "¿Qué ancho tiene, en centímetros?", 15, 180
            ),
            single(
                "lane",
                "Where in the road?",
                "¿En qué parte de la calle?",
                [
                    ("travel", "Travel lane", "Carril de circulación"),
                    ("bike", "Bike lane", "Ciclovía"),
                    ("crosswalk", "Crosswalk", "Cruce peatonal"),
                    ("edge", "Edge or gutter", "Orilla o cuneta"),
                ],
            ),
        ],
        samples=[
            "Large pothole in the right lane, cars swerving around it.",
            "Pothole keeps coming back after every rain.",
            "Deep hole near the crosswalk, a cyclist almost fell.",
            "Several potholes in a row by the bus stop.",
            "Patch from last year has broken up again.",
            "Hole right at the corner, my car hit it this morning.",
        ],
        samples_es=[
            "Hay un bache grande en el carril derecho, los carros lo esquivan.",
            "El bache vuelve a abrirse cada vez que llueve.",
            "Bache profundo junto al cruce peatonal.",
        ],
        done=(
            "Our crew filled the pothole today. Thank you for reporting it.",
            "Nuestro equipo rellenó el bache hoy. Gracias por avisarnos.",
        ),
    ),
    service(
        "sidewalk-repair",
        "public-works",
        STREETS,
        "Damaged sidewalk",
        "Acera dañada",
        "Cracked, raised or missing sidewalk that makes walking unsafe.",
        "Acera rota, levantada o faltante que hace peligroso caminar.",
        keywords="sidewalk, trip, crack, curb ramp, wheelchair",
        weight=4,
        days=21,
        questions=[
            multi(
                "problem",
                "What is wrong?",
                "¿Cuál es el problema?",
                [
                    ("trip", "Trip hazard", "Riesgo de tropiezo"),
                    ("roots", "Raised by tree roots", "Levantada por raíces"),
                    ("missing", "Missing section", "Falta un tramo"),
                    ("ramp", "Broken curb ramp", "Rampa rota"),
                ],
                required=True,
            ),
            single(
                "blocked",
                "Does it block a wheelchair or stroller?",
                "¿Impide el paso de una silla de ruedas o un cochecito?",
                YES_NO,
            ),
        ],
        samples=[
            "Sidewalk slab lifted about 5 cm by tree roots.",
            "Curb ramp is crumbling, my mother's wheelchair gets stuck.",
            "Big crack across the sidewalk in front of the school.",
        ],
        samples_es=["La acera está levantada por las raíces del árbol.", "La rampa de la esquina está rota."],
        done=("The sidewalk was repaired.", "Se reparó la acera."),
    ),
    service(
        "streetlight-out",
        "public-works",
        STREETS,
        "Streetlight out",
        "Farola apagada",
        "A streetlight that is out, flickering or on during the day.",
        "Una farola apagada, que parpadea o que está encendida de día.",
        keywords="light, lamp, dark, street light, pole",
        weight=6,
        days=7,
        questions=[
            string(
                "pole",
                "Number on the pole, if you can see it",
                "Número del poste, si lo ve",
                ["RL-10422", "RL-20871", "RL-31007", "RL-45590", "RL-50213"],
                help_text="A small metal tag about eye height.",
                help_es="Una placa de metal a la altura de los ojos.",
            ),
            single(
                "problem",
                "What is it doing?",
                "¿Qué pasa con la luz?",
                [
                    ("out", "Completely out", "Totalmente apagada"),
                    ("flicker", "Flickering", "Parpadea"),
                    ("day", "On during the day", "Encendida de día"),
                    ("damaged", "Pole or fixture damaged", "Poste o lámpara dañados"),
                ],
                required=True,
            ),
        ],
        samples=[
            "Streetlight out in front of my house for a week, the block is very dark.",
            "Light flickers on and off all night.",
            "Two lights out in a row near the park entrance.",
            "Streetlight stays on all day.",
        ],
        samples_es=["La farola frente a mi casa lleva una semana apagada.", "La luz parpadea toda la noche."],
        done=(
            "An electrician replaced the lamp; the light is working again.",
            "Un electricista cambió la lámpara; la luz funciona de nuevo.",
        ),
    ),
    service(
        "snow-ice",
        "public-works",
        STREETS,
        "Unplowed street or icy sidewalk",
        "Calle sin despejar o acera con hielo",
        "Snow or ice left on a public street, sidewalk, bus stop or crosswalk.",
        "Nieve o hielo en una calle, acera, parada de autobús o cruce peatonal.",
        keywords="snow, ice, plow, slippery, salt",
        weight=2,
        days=2,
        questions=[
            single(
                "surface",
                "Where is the snow or ice?",
                "¿Dónde está la nieve o el hielo?",
                [
                    ("street", "Street", "Calle"),
                    ("sidewalk", "Sidewalk", "Acera"),
                    ("bus_stop", "Bus stop", "Parada de autobús"),
                    ("crosswalk", "Crosswalk or curb ramp", "Cruce o rampa"),
                ],
                required=True,
            ),
        ],
        samples=["Street has not been plowed since the storm.", "Icy sidewalk, people are slipping."],
        samples_es=["No han limpiado la nieve de la calle desde la tormenta."],
        done=(
            "A plow and salt truck treated the street.",
            "Un quitanieves y un camión de sal trataron la calle.",
        ),
    ),
    service(
        "graffiti",
        "public-works",
        STREETS,
        "Graffiti removal",
        "Eliminación de grafiti",
        "Graffiti on public property, or on private property visible from the street.",
        "Grafiti en propiedad pública, o en propiedad privada visible desde la calle.",
        keywords="graffiti, tag, paint, vandalism",
        weight=3,
        days=10,
        questions=[
            single(
                "surface",
                "What is painted?",
                "¿Qué está pintado?",
                [
                    ("public", "Public building or wall", "Edificio o muro público"),
                    ("private", "Private building", "Edificio privado"),
                    ("sign", "Sign or signal box", "Señal o caja de semáforo"),
                    ("bridge", "Bridge or underpass", "Puente o paso inferior"),
                ],
            ),
            single(
                "offensive", "Is it offensive or hateful?", "¿Es ofensivo o de odio?", YES_NO, required=True
            ),
        ],
        samples=[
            "Fresh tags on the underpass wall.",
            "Graffiti on the signal box at the corner.",
            "Offensive words painted on the library wall.",
        ],
        samples_es=["Hay grafiti nuevo en el muro del paso inferior."],
        done=("The graffiti was painted over.", "Se cubrió el grafiti con pintura."),
    ),
    service(
        "street-debris",
        "public-works",
        STREETS,
        "Debris in the street",
        "Escombros en la calle",
        "Broken glass, branches, gravel or other loose material in the roadway.",
        "Vidrios rotos, ramas, grava u otros materiales sueltos en la calle.",
        keywords="glass, gravel, debris, sweep",
        weight=2,
        days=3,
        questions=[
            text(
                "what",
                "What is in the street?",
                "¿Qué hay en la calle?",
                [
                    "Broken glass from a car accident",
                    "Gravel washed down the hill",
                    "Lumber fell off a truck",
                ],
            ),
        ],
        samples=[
            "Broken glass all over the bike lane.",
            "Sand and gravel washed into the street after the storm.",
        ],
        samples_es=["Hay vidrios rotos en la ciclovía."],
        done=("The street sweeper cleaned it up.", "La barredora limpió la calle."),
    ),
    # ------------------------------------------------------------ Trash and recycling
    service(
        "missed-pickup",
        "sanitation",
        TRASH,
        "Missed trash or recycling pickup",
        "Recolección no realizada",
        "Your bins were out on time but were not collected.",
        "Sus contenedores estaban afuera a tiempo pero no los recogieron.",
        keywords="garbage, trash, recycling, missed, collection, bins",
        weight=8,
        days=2,
        questions=[
            single("bin", "Which bin was missed?", "¿Qué contenedor no recogieron?", BINS, required=True),
            moment("out_at", "When did you put it out?", "¿Cuándo lo sacó?"),
        ],
        samples=[
            "Recycling was not picked up this week, whole street was missed.",
            "Trash was out by 6 am and the truck skipped our house.",
            "Yard waste bags still on the curb.",
        ],
        samples_es=[
            "No recogieron la basura esta semana.",
            "El camión del reciclaje no pasó por nuestra calle.",
        ],
        done=("A truck went back and collected it.", "Un camión regresó y la recogió."),
    ),
    service(
        "bulk-pickup",
        "sanitation",
        TRASH,
        "Bulk item pickup",
        "Recolección de artículos voluminosos",
        "Schedule a pickup of furniture, mattresses or appliances.",
        "Programe la recolección de muebles, colchones o electrodomésticos.",
        keywords="mattress, couch, sofa, furniture, appliance, fridge",
        weight=5,
        days=7,
        questions=[
            multi(
                "items",
                "What needs to be picked up?",
                "¿Qué hay que recoger?",
                [
                    ("mattress", "Mattress", "Colchón"),
                    ("sofa", "Sofa or chair", "Sofá o sillón"),
                    ("appliance", "Appliance", "Electrodoméstico"),
                    ("furniture", "Other furniture", "Otros muebles"),
                    ("electronics", "TV or electronics", "Televisor o electrónicos"),
                ],
                required=True,
            ),
            number("count", "How many items?", "¿Cuántos artículos?", 1, 6),
        ],
        samples=[
            "Old couch and a mattress, moving out at the end of the month.",
            "Broken refrigerator to pick up.",
        ],
        samples_es=["Un colchón viejo y un sofá para recoger."],
        done=("The items were picked up.", "Se recogieron los artículos."),
    ),
    service(
        "illegal-dumping",
        "sanitation",
        TRASH,
        "Illegal dumping",
        "Vertido ilegal",
        "Trash, furniture, tires or construction debris left on public land.",
        "Basura, muebles, llantas o escombros abandonados en terreno público.",
        keywords="dumping, dumped, tires, debris, junk",
        weight=4,
        days=5,
        questions=[
            multi(
                "material",
                "What was dumped?",
                "¿Qué tiraron?",
                [
                    ("household", "Household trash", "Basura doméstica"),
                    ("construction", "Construction debris", "Escombros de construcción"),
                    ("tires", "Tires", "Llantas"),
                    ("furniture", "Furniture", "Muebles"),
                    ("hazardous", "Paint, oil or chemicals", "Pintura, aceite o químicos"),
                ],
                required=True,
            ),
            moment(
                "seen_at", "When did you see it happen, if you did?", "¿Cuándo vio que lo tiraban, si lo vio?"
            ),
        ],
        samples=[
            "Someone dumped a pile of tires behind the ball field.",
            "Construction debris left on the corner overnight.",
            "Bags of trash dumped along the river path.",
        ],
        samples_es=["Alguien tiró llantas detrás del campo de béisbol."],
        done=(
            "The dumped material was removed and the site is under watch.",
            "Se retiró el material y vigilamos el lugar.",
        ),
    ),
    service(
        "litter-basket",
        "sanitation",
        TRASH,
        "Overflowing public trash can",
        "Papelera pública desbordada",
        "A public litter basket that is full or overflowing.",
        "Una papelera pública llena o desbordada.",
        keywords="litter, basket, bin, overflowing",
        weight=3,
        days=2,
        samples=[
            "Trash can at the bus stop is overflowing.",
            "Litter basket by the playground is full again.",
        ],
        samples_es=["La papelera de la parada está desbordada."],
        questions=[
            single(
                "location_type",
                "Where is it?",
                "¿Dónde está?",
                [
                    ("bus_stop", "Bus stop", "Parada de autobús"),
                    ("park", "Park", "Parque"),
                    ("street", "Street corner", "Esquina"),
                ],
            ),
        ],
        done=("The basket was emptied.", "Se vació la papelera."),
    ),
    service(
        "damaged-cart",
        "sanitation",
        TRASH,
        "Damaged or missing cart",
        "Contenedor dañado o perdido",
        "Replace a city-issued trash or recycling cart that is broken or missing.",
        "Reemplazo de un contenedor municipal roto o perdido.",
        keywords="cart, bin, broken lid, wheel, stolen",
        weight=2,
        days=10,
        questions=[
            single("bin", "Which cart?", "¿Qué contenedor?", BINS, required=True),
            single(
                "problem",
                "What happened to it?",
                "¿Qué le pasó?",
                [
                    ("lid", "Broken lid", "Tapa rota"),
                    ("wheel", "Broken wheel", "Rueda rota"),
                    ("cracked", "Cracked body", "Cuerpo rajado"),
                    ("missing", "Missing or stolen", "Perdido o robado"),
                ],
            ),
        ],
        samples=["The truck broke the lid of our recycling cart.", "Our trash cart was stolen."],
        samples_es=["El camión rompió la tapa del contenedor."],
        done=("A new cart was delivered.", "Se entregó un contenedor nuevo."),
    ),
    # ------------------------------------------------------------ Parks and trees
    service(
        "fallen-tree",
        "parks",
        PARKS,
        "Fallen tree or branch",
        "Árbol o rama caída",
        "A tree or large branch that has fallen or is about to fall.",
        "Un árbol o una rama grande que se cayó o está por caerse.",
        keywords="tree, branch, limb, fallen, storm",
        weight=4,
        days=2,
        priority=Priority.HIGH,
        questions=[
            multi(
                "blocking",
                "What is it blocking or touching?",
                "¿Qué está bloqueando o tocando?",
                [
                    ("street", "Street", "Calle"),
                    ("sidewalk", "Sidewalk", "Acera"),
                    ("car", "A car", "Un carro"),
                    ("house", "A house", "Una casa"),
                    ("wires", "Power lines", "Cables eléctricos"),
                ],
            ),
            number(
                "diameter_cm",
                "About how thick is it, in centimetres?",
                "¿Qué grosor tiene, en centímetros?",
                5,
                90,
            ),
        ],
        samples=[
            "Large branch came down in the storm and blocks half the street.",
            "Tree leaning on the power lines.",
            "Fallen limb across the sidewalk, people walk in the road.",
        ],
        samples_es=["Una rama grande cayó con la tormenta y bloquea la calle."],
        done=(
            "Our forestry crew removed the tree and cleared the street.",
            "Nuestro equipo forestal retiró el árbol y despejó la calle.",
        ),
    ),
    service(
        "tree-pruning",
        "parks",
        PARKS,
        "Street tree pruning",
        "Poda de árbol de la calle",
        "Branches of a city street tree hanging low, blocking a sign or a light.",
        "Ramas de un árbol municipal que cuelgan bajo o tapan una señal o una luz.",
        keywords="prune, trim, branches, overhanging",
        weight=3,
        days=30,
        questions=[
            single(
                "reason",
                "Why does it need pruning?",
                "¿Por qué necesita poda?",
                [
                    ("low", "Branches too low over the sidewalk", "Ramas muy bajas sobre la acera"),
                    ("sign", "Blocks a sign or light", "Tapa una señal o una luz"),
                    ("dead", "Dead branches", "Ramas secas"),
                ],
                required=True,
            ),
        ],
        samples=["Branches hang so low I have to duck on the sidewalk.", "Tree covers the stop sign."],
        samples_es=["Las ramas tapan la señal de alto."],
        done=("The tree was pruned.", "Se podó el árbol."),
    ),
    service(
        "tree-planting",
        "parks",
        PARKS,
        "New street tree",
        "Árbol nuevo en la calle",
        "Ask for a tree to be planted in front of your home.",
        "Pida que planten un árbol frente a su casa.",
        keywords="plant, tree, shade, green",
        weight=1,
        days=120,
        priority=Priority.LOW,
        questions=[
            string(
                "owner",
                "Name of the property owner",
                "Nombre del propietario",
                ["Owner occupied", "Riverton Housing Authority", "Maple Court Condominium"],
            ),
            single("space", "Is there an empty tree pit?", "¿Hay un espacio vacío para árbol?", YES_NO),
        ],
        samples=[
            "We would love a shade tree in front of our building.",
            "The old tree pit has been empty for years.",
        ],
        samples_es=["Nos gustaría un árbol frente a nuestra casa."],
        done=(
            "The tree was planted. Please water it in dry weeks!",
            "Se plantó el árbol. ¡Riéguelo en semanas secas!",
        ),
    ),
    service(
        "park-maintenance",
        "parks",
        PARKS,
        "Park maintenance",
        "Mantenimiento de parques",
        "Broken benches, overgrown grass, dirty restrooms or litter in a park.",
        "Bancos rotos, pasto crecido, baños sucios o basura en un parque.",
        keywords="park, bench, grass, restroom, field",
        weight=3,
        days=7,
        questions=[
            string(
                "park",
                "Which park?",
                "¿Qué parque?",
                [
                    "Millbrook Park",
                    "Riverside Commons",
                    "Oak Hill Reservation",
                    "Heron Pond Park",
                    "Founders Green",
                ],
                required=True,
            ),
            single(
                "issue",
                "What needs attention?",
                "¿Qué necesita atención?",
                [
                    ("bench", "Bench or table", "Banco o mesa"),
                    ("grass", "Grass or weeds", "Pasto o maleza"),
                    ("restroom", "Restroom", "Baño"),
                    ("litter", "Litter", "Basura"),
                    ("lights", "Park lights", "Luces del parque"),
                ],
            ),
        ],
        samples=[
            "The restroom by the tennis courts has been locked for days.",
            "Grass on the ball field is knee high.",
            "Bench slats are broken near the fountain.",
        ],
        samples_es=["El baño del parque está cerrado desde hace días."],
        done=("Our park crew took care of it.", "Nuestro equipo de parques se encargó."),
    ),
    service(
        "playground",
        "parks",
        PARKS,
        "Broken playground equipment",
        "Juego infantil roto",
        "A swing, slide or climbing structure that is broken or unsafe.",
        "Un columpio, tobogán o estructura para trepar rota o insegura.",
        keywords="playground, swing, slide, kids, unsafe",
        weight=2,
        days=5,
        priority=Priority.HIGH,
        questions=[
            single(
                "equipment",
                "Which equipment?",
                "¿Qué juego?",
                [
                    ("swing", "Swing", "Columpio"),
                    ("slide", "Slide", "Tobogán"),
                    ("climber", "Climbing structure", "Estructura para trepar"),
                    ("surface", "Ground surface", "Superficie del suelo"),
                ],
                required=True,
            ),
            text(
                "danger",
                "How could a child get hurt?",
                "¿Cómo se podría lastimar un niño?",
                ["Sharp metal edge sticking out", "The chain is broken", "A bolt is missing and it wobbles"],
            ),
        ],
        samples=["Swing chain is broken at Millbrook Park.", "Sharp edge on the slide, my son cut his hand."],
        samples_es=["La cadena del columpio está rota."],
        done=("The equipment was repaired and inspected.", "Se reparó e inspeccionó el juego."),
    ),
    # ------------------------------------------------------------ Traffic and parking
    service(
        "traffic-signal",
        "transportation",
        TRAFFIC,
        "Traffic signal problem",
        "Problema con un semáforo",
        "A traffic or pedestrian signal that is dark, stuck, flashing or badly timed.",
        "Un semáforo vehicular o peatonal apagado, trabado, intermitente o mal sincronizado.",
        keywords="traffic light, signal, walk signal, red light",
        weight=3,
        days=1,
        priority=Priority.URGENT,
        questions=[
            single(
                "problem",
                "What is wrong?",
                "¿Qué pasa?",
                [
                    ("dark", "Dark", "Apagado"),
                    ("stuck", "Stuck on one colour", "Trabado en un color"),
                    ("flashing", "Flashing", "Intermitente"),
                    ("walk", "Walk signal not working", "La señal peatonal no funciona"),
                    ("timing", "Timing is too short", "El tiempo es muy corto"),
                ],
                required=True,
            ),
            string(
                "direction",
                "Which direction?",
                "¿En qué dirección?",
                ["Northbound", "Southbound", "Eastbound", "Westbound"],
            ),
        ],
        samples=[
            "Signal at the intersection is flashing red in all directions.",
            "Walk button does nothing, people cross against the light.",
            "Left turn arrow never turns green.",
        ],
        samples_es=["El semáforo está intermitente en rojo en todas las direcciones."],
        done=(
            "A signal technician repaired the controller.",
            "Un técnico reparó el controlador del semáforo.",
        ),
    ),
    service(
        "damaged-sign",
        "transportation",
        TRAFFIC,
        "Missing or damaged sign",
        "Señal faltante o dañada",
        "A stop sign, street name sign or other traffic sign that is missing, bent or faded.",
        "Una señal de alto, de nombre de calle u otra señal faltante, doblada o desteñida.",
        keywords="stop sign, sign, street sign, bent",
        weight=2,
        days=5,
        questions=[
            single(
                "sign",
                "What kind of sign?",
                "¿Qué tipo de señal?",
                [
                    ("stop", "Stop sign", "Señal de alto"),
                    ("yield", "Yield sign", "Ceda el paso"),
                    ("name", "Street name sign", "Nombre de calle"),
                    ("speed", "Speed limit", "Límite de velocidad"),
                    ("parking", "Parking sign", "Estacionamiento"),
                ],
                required=True,
            ),
        ],
        samples=["Stop sign knocked down at the corner.", "Street name sign is missing."],
        samples_es=["Tumbaron la señal de alto de la esquina."],
        done=("The sign was replaced.", "Se reemplazó la señal."),
    ),
    service(
        "abandoned-vehicle",
        "transportation",
        TRAFFIC,
        "Abandoned vehicle",
        "Vehículo abandonado",
        "A vehicle that has not moved for more than 72 hours, or has no plates.",
        "Un vehículo que no se ha movido en más de 72 horas o que no tiene placas.",
        keywords="car, abandoned, junk car, no plates",
        weight=3,
        days=10,
        questions=[
            string(
                "plate",
                "Licence plate",
                "Placa",
                ["RVT 4821", "7KLM 220", "No plate", "QX 11 92", "RVT 0934"],
            ),
            single(
                "colour",
                "Colour",
                "Color",
                [
                    ("black", "Black", "Negro"),
                    ("white", "White", "Blanco"),
                    ("silver", "Silver", "Plateado"),
                    ("red", "Red", "Rojo"),
                    ("blue", "Blue", "Azul"),
                ],
            ),
            number("days", "For how many days has it been there?", "¿Cuántos días lleva ahí?", 3, 40),
        ],
        samples=[
            "Car with flat tires has been parked here for weeks.",
            "Van with no plates, windows broken.",
        ],
        samples_es=["Un carro con las llantas ponchadas lleva semanas estacionado aquí."],
        done=("The vehicle was tagged and towed.", "Se marcó y remolcó el vehículo."),
    ),
    service(
        "illegal-parking",
        "transportation",
        TRAFFIC,
        "Illegal parking",
        "Estacionamiento ilegal",
        "A vehicle blocking a driveway, hydrant, crosswalk, bike lane or accessible space.",
        "Un vehículo que bloquea una entrada, un hidrante, un cruce, una ciclovía o un espacio accesible.",
        keywords="parking, blocked driveway, hydrant, double parked",
        weight=5,
        days=1,
        questions=[
            single(
                "violation",
                "What is it blocking?",
                "¿Qué bloquea?",
                [
                    ("driveway", "Driveway", "Entrada de garaje"),
                    ("hydrant", "Hydrant", "Hidrante"),
                    ("crosswalk", "Crosswalk", "Cruce peatonal"),
                    ("bike", "Bike lane", "Ciclovía"),
                    ("accessible", "Accessible space", "Espacio accesible"),
                ],
                required=True,
            ),
            string("plate", "Licence plate", "Placa", ["RVT 5512", "8HJK 301", "RVT 7720", "MB 44 19"]),
        ],
        samples=[
            "Car blocking my driveway, I can't get to work.",
            "Delivery trucks parked in the bike lane every morning.",
        ],
        samples_es=["Un carro bloquea la entrada de mi garaje."],
        done=("A parking officer ticketed the vehicle.", "Un agente de estacionamiento multó al vehículo."),
    ),
    service(
        "road-markings",
        "transportation",
        TRAFFIC,
        "Faded road markings",
        "Marcas viales desgastadas",
        "Crosswalks, stop lines or lane markings that are hard to see.",
        "Cruces peatonales, líneas de alto o de carril que casi no se ven.",
        keywords="crosswalk, paint, lines, markings",
        weight=1,
        days=60,
        priority=Priority.LOW,
        questions=[
            single(
                "marking",
                "Which marking?",
                "¿Qué marca?",
                [
                    ("crosswalk", "Crosswalk", "Cruce peatonal"),
                    ("stop", "Stop line", "Línea de alto"),
                    ("lane", "Lane lines", "Líneas de carril"),
                    ("bike", "Bike lane", "Ciclovía"),
                ],
            ),
        ],
        samples=[
            "Crosswalk by the school has almost worn away.",
            "Lane lines are invisible at night in the rain.",
        ],
        samples_es=["El cruce peatonal frente a la escuela casi no se ve."],
        done=("The markings were repainted.", "Se repintaron las marcas."),
    ),
    # ------------------------------------------------------------ Water and sewer
    service(
        "water-main",
        "water",
        WATER,
        "Water main break or leak",
        "Rotura o fuga de tubería de agua",
        "Water coming up through the street or sidewalk.",
        "Agua que sale por la calle o la acera.",
        keywords="water, leak, main break, flooding, gushing",
        weight=2,
        days=1,
        priority=Priority.URGENT,
        questions=[
            single(
                "flow",
                "How much water?",
                "¿Cuánta agua sale?",
                [
                    ("trickle", "A trickle", "Un hilo de agua"),
                    ("steady", "A steady stream", "Un chorro constante"),
                    ("gushing", "Gushing or flooding", "Sale a borbotones o inunda"),
                ],
                required=True,
            ),
            moment("since", "Since when?", "¿Desde cuándo?"),
        ],
        samples=[
            "Water bubbling up through a crack in the road.",
            "Water gushing from the street, flooding the corner.",
        ],
        samples_es=["Sale agua de una grieta en la calle."],
        done=(
            "Our crew repaired the main and restored service.",
            "Nuestro equipo reparó la tubería y restableció el servicio.",
        ),
    ),
    service(
        "hydrant",
        "water",
        WATER,
        "Leaking or damaged hydrant",
        "Hidrante con fuga o dañado",
        "A fire hydrant that leaks, is open, damaged or missing a cap.",
        "Un hidrante que gotea, está abierto, dañado o sin tapa.",
        keywords="hydrant, fire hydrant, open hydrant",
        weight=1,
        days=3,
        priority=Priority.HIGH,
        questions=[
            single(
                "problem",
                "What is wrong?",
                "¿Qué pasa?",
                [
                    ("leaking", "Leaking", "Gotea"),
                    ("open", "Opened by someone", "Alguien lo abrió"),
                    ("damaged", "Hit or damaged", "Golpeado o dañado"),
                    ("cap", "Missing cap", "Sin tapa"),
                ],
                required=True,
            ),
        ],
        samples=["Hydrant has been leaking for days.", "Kids opened the hydrant, water everywhere."],
        samples_es=["El hidrante lleva días goteando."],
        done=("The hydrant was repaired.", "Se reparó el hidrante."),
    ),
    service(
        "storm-drain",
        "water",
        WATER,
        "Clogged storm drain",
        "Desagüe pluvial tapado",
        "A catch basin blocked by leaves or trash, or a street that floods when it rains.",
        "Un desagüe tapado por hojas o basura, o una calle que se inunda cuando llueve.",
        keywords="drain, catch basin, flooding, puddle, leaves",
        weight=3,
        days=5,
        questions=[
            single(
                "flooding", "Is the street flooding?", "¿Se está inundando la calle?", YES_NO, required=True
            ),
            number(
                "depth_cm",
                "How deep is the water, in centimetres?",
                "¿Qué profundidad tiene el agua, en centímetros?",
                0,
                40,
            ),
        ],
        samples=[
            "Drain covered in leaves, huge puddle at the crosswalk.",
            "Corner floods every time it rains.",
        ],
        samples_es=["El desagüe está tapado de hojas y se forma un charco enorme."],
        done=("The catch basin was cleaned.", "Se limpió el desagüe."),
    ),
    service(
        "sewer-odor",
        "water",
        WATER,
        "Sewer backup or odour",
        "Desbordamiento u olor de alcantarillado",
        "Sewage backing up, or a strong sewer smell from a manhole or drain.",
        "Aguas negras que se desbordan, o un olor fuerte de una alcantarilla.",
        keywords="sewer, smell, odor, backup, manhole",
        weight=1,
        days=2,
        priority=Priority.HIGH,
        questions=[
            single(
                "where",
                "Where is it?",
                "¿Dónde es?",
                [
                    ("street", "Manhole in the street", "Alcantarilla en la calle"),
                    ("basement", "In my basement", "En mi sótano"),
                    ("yard", "In a yard", "En un patio"),
                ],
                required=True,
            ),
        ],
        samples=[
            "Strong sewer smell from the manhole.",
            "Sewage coming up through the basement floor drain.",
        ],
        samples_es=["Hay un olor muy fuerte a alcantarilla."],
        done=("The sewer line was cleared.", "Se destapó la línea de alcantarillado."),
    ),
    service(
        "water-quality",
        "water",
        WATER,
        "Water quality concern",
        "Problema con la calidad del agua",
        "Tap water that looks, smells or tastes wrong, or low water pressure.",
        "Agua del grifo con mal aspecto, olor o sabor, o con poca presión.",
        keywords="tap water, brown water, taste, pressure",
        weight=1,
        days=3,
        questions=[
            multi(
                "symptoms",
                "What do you notice?",
                "¿Qué nota?",
                [
                    ("colour", "Brown or cloudy", "Café o turbia"),
                    ("smell", "Smell", "Olor"),
                    ("taste", "Taste", "Sabor"),
                    ("pressure", "Low pressure", "Poca presión"),
                ],
                required=True,
            ),
            moment("since", "Since when?", "¿Desde cuándo?"),
        ],
        samples=[
            "Tap water has been brown since this morning.",
            "Water pressure dropped in the whole building.",
        ],
        samples_es=["El agua del grifo sale café desde esta mañana."],
        done=(
            "We flushed the line and tested the water; it meets all standards.",
            "Lavamos la tubería y analizamos el agua; cumple todas las normas.",
        ),
    ),
    # ------------------------------------------------------------ Housing and buildings
    service(
        "no-heat",
        "code-enforcement",
        HOUSING,
        "No heat or hot water",
        "Sin calefacción o agua caliente",
        "A rental home without heat or hot water.",
        "Una vivienda de alquiler sin calefacción o sin agua caliente.",
        keywords="heat, heating, hot water, landlord, cold",
        weight=3,
        days=1,
        priority=Priority.URGENT,
        questions=[
            multi(
                "missing",
                "What is missing?",
                "¿Qué falta?",
                [
                    ("heat", "Heat", "Calefacción"),
                    ("hot_water", "Hot water", "Agua caliente"),
                ],
                required=True,
            ),
            string(
                "unit", "Apartment or unit", "Apartamento o unidad", ["2", "3R", "1L", "Apt 4B", "Basement"]
            ),
            number(
                "units_affected", "How many units are affected?", "¿Cuántas unidades están afectadas?", 1, 24
            ),
        ],
        samples=[
            "No heat in our apartment for three days, landlord does not answer.",
            "No hot water in the whole building.",
        ],
        samples_es=[
            "No tenemos calefacción desde hace tres días y el dueño no contesta.",
            "No hay agua caliente en todo el edificio.",
        ],
        done=(
            "An inspector ordered the owner to restore heat, and it is back on.",
            "Un inspector ordenó al dueño restablecer la calefacción y ya funciona.",
        ),
    ),
    service(
        "unsafe-building",
        "code-enforcement",
        HOUSING,
        "Unsafe or vacant building",
        "Edificio inseguro o abandonado",
        "A building that looks unsafe, is open to trespassers or is falling apart.",
        "Un edificio que parece inseguro, está abierto a intrusos o se está cayendo.",
        keywords="vacant, abandoned, unsafe, boarded",
        weight=1,
        days=14,
        questions=[
            multi(
                "problems",
                "What do you see?",
                "¿Qué ve?",
                [
                    ("open", "Open doors or windows", "Puertas o ventanas abiertas"),
                    ("collapse", "Falling parts", "Partes que se caen"),
                    ("trespass", "People going in", "Gente que entra"),
                    ("fire", "Fire damage", "Daños por incendio"),
                ],
            ),
        ],
        samples=[
            "Vacant house with the back door wide open.",
            "Bricks falling from the facade onto the sidewalk.",
        ],
        samples_es=["Una casa abandonada con la puerta trasera abierta."],
        done=(
            "An inspector cited the owner and the building was secured.",
            "Un inspector multó al dueño y se aseguró el edificio.",
        ),
    ),
    service(
        "overgrown-lot",
        "code-enforcement",
        HOUSING,
        "Overgrown or littered private lot",
        "Terreno privado descuidado",
        "Tall weeds, trash or junk on private property.",
        "Maleza alta, basura o chatarra en una propiedad privada.",
        keywords="weeds, overgrown, junk, lot, yard",
        weight=2,
        days=21,
        questions=[
            text(
                "details",
                "Tell us what is on the lot",
                "Cuéntenos qué hay en el terreno",
                [
                    "Weeds taller than the fence",
                    "Old appliances and tires in the yard",
                    "Trash bags piled by the garage",
                ],
            ),
        ],
        samples=[
            "Weeds taller than me on the empty lot.",
            "Junk piling up in the neighbour's yard, rats everywhere.",
        ],
        samples_es=["La maleza del terreno baldío está altísima."],
        done=("The owner was cited and cleaned up the lot.", "Se multó al dueño y limpió el terreno."),
    ),
    service(
        "construction-hours",
        "code-enforcement",
        HOUSING,
        "Construction outside allowed hours",
        "Construcción fuera del horario permitido",
        "Construction noise before 7 am, after 6 pm, or on Sundays and holidays.",
        "Ruido de construcción antes de las 7, después de las 18 o en domingos y feriados.",
        keywords="noise, construction, early, loud",
        weight=2,
        days=3,
        questions=[
            moment("heard_at", "When did you hear it?", "¿Cuándo lo escuchó?", required=True),
            string(
                "company",
                "Company name, if shown",
                "Nombre de la empresa, si se ve",
                ["Northgate Builders", "R&M Contracting", "Unknown", "Bluestone Construction"],
            ),
        ],
        samples=["Jackhammering at 5:30 am on a Saturday.", "Crew working with lights until 10 pm."],
        samples_es=["Están martillando a las 5:30 de la mañana."],
        done=(
            "An inspector warned the contractor about the permitted hours.",
            "Un inspector advirtió al contratista sobre el horario permitido.",
        ),
    ),
    service(
        "rodents",
        "code-enforcement",
        HOUSING,
        "Rodent sighting",
        "Avistamiento de roedores",
        "Rats or mice seen outdoors or in a building.",
        "Ratas o ratones vistos afuera o en un edificio.",
        keywords="rats, mice, rodents, pests",
        weight=3,
        days=10,
        questions=[
            single(
                "where",
                "Where did you see them?",
                "¿Dónde los vio?",
                [
                    ("street", "Street or alley", "Calle o callejón"),
                    ("park", "Park", "Parque"),
                    ("building", "Building", "Edificio"),
                    ("restaurant", "Near a restaurant", "Cerca de un restaurante"),
                ],
                required=True,
            ),
            number("count", "How many did you see?", "¿Cuántos vio?", 1, 12),
        ],
        samples=[
            "Rats running across the alley every evening.",
            "Burrows in the tree pits by the restaurant.",
        ],
        samples_es=["Ratas en el callejón todas las noches."],
        done=(
            "Our inspector baited the area and will check back.",
            "Nuestro inspector puso cebos y volverá a revisar.",
        ),
    ),
    # ------------------------------------------------------------ Animals
    service(
        "stray-dog",
        "animal-services",
        ANIMALS,
        "Loose or stray dog",
        "Perro suelto o callejero",
        "A dog running loose, or a stray that needs to be picked up.",
        "Un perro suelto, o un perro callejero que hay que recoger.",
        keywords="dog, stray, loose, animal control",
        weight=2,
        days=1,
        priority=Priority.HIGH,
        questions=[
            single(
                "behaviour",
                "How is it acting?",
                "¿Cómo se comporta?",
                [
                    ("friendly", "Friendly", "Amistoso"),
                    ("scared", "Scared", "Asustado"),
                    ("aggressive", "Aggressive", "Agresivo"),
                    ("injured", "Injured", "Herido"),
                ],
                required=True,
            ),
        ],
        samples=[
            "Brown dog without a collar running in traffic.",
            "Large dog loose near the school, kids are scared.",
        ],
        samples_es=["Un perro café sin collar corre entre los carros."],
        done=(
            "An animal control officer picked up the dog.",
            "Un agente de control animal recogió al perro.",
        ),
    ),
    service(
        "barking-dog",
        "animal-services",
        ANIMALS,
        "Barking dog",
        "Perro que ladra",
        "A dog barking for long periods.",
        "Un perro que ladra por largos periodos.",
        keywords="barking, noise, dog",
        weight=2,
        days=7,
        priority=Priority.LOW,
        questions=[
            number("hours", "About how many hours a day?", "¿Cuántas horas al día, más o menos?", 1, 12),
        ],
        samples=["Dog next door barks all day while the owners are at work."],
        samples_es=["El perro del vecino ladra todo el día."],
        done=(
            "An officer visited the owner and left a warning.",
            "Un agente visitó al dueño y le dejó una advertencia.",
        ),
    ),
    service(
        "dead-animal",
        "animal-services",
        ANIMALS,
        "Dead animal removal",
        "Retiro de animal muerto",
        "A dead animal on a street, sidewalk or public land.",
        "Un animal muerto en la calle, la acera o un terreno público.",
        keywords="dead animal, roadkill, carcass",
        weight=2,
        days=1,
        questions=[
            single(
                "animal",
                "What kind of animal?",
                "¿Qué tipo de animal?",
                [
                    ("cat", "Cat", "Gato"),
                    ("dog", "Dog", "Perro"),
                    ("raccoon", "Raccoon", "Mapache"),
                    ("deer", "Deer", "Venado"),
                    ("bird", "Bird", "Pájaro"),
                    ("other", "Other", "Otro"),
                ],
            ),
        ],
        samples=["Dead raccoon in the middle of the road.", "Dead deer on the shoulder of the parkway."],
        samples_es=["Hay un mapache muerto en medio de la calle."],
        done=("The animal was removed.", "Se retiró el animal."),
    ),
    service(
        "wildlife",
        "animal-services",
        ANIMALS,
        "Injured or trapped wildlife",
        "Animal silvestre herido o atrapado",
        "A wild animal that is hurt, sick or trapped.",
        "Un animal silvestre herido, enfermo o atrapado.",
        keywords="wildlife, injured, raccoon, bird, coyote",
        weight=1,
        days=1,
        questions=[
            string(
                "animal",
                "What animal is it?",
                "¿Qué animal es?",
                ["Raccoon", "Goose", "Hawk", "Opossum", "Coyote"],
            ),
            text(
                "situation",
                "What is happening?",
                "¿Qué está pasando?",
                ["It is caught in a fence", "It cannot fly", "It walks in circles in daylight"],
            ),
        ],
        samples=["Goose with a broken wing by the pond.", "Raccoon stuck in a storm drain grate."],
        samples_es=["Un ganso con el ala rota junto al estanque."],
        done=(
            "An officer took the animal to a wildlife rehabilitator.",
            "Un agente llevó al animal a un centro de rehabilitación de fauna.",
        ),
    ),
]

# Replies staff send while working a case: (English, Spanish).
PROGRESS_REPLIES = [
    (
        "A crew is scheduled to look at this in the next few days.",
        "Un equipo revisará esto en los próximos días.",
    ),
    ("We inspected the location and ordered the repair.", "Inspeccionamos el lugar y pedimos la reparación."),
    (
        "Thanks for the details. This is on today's work list.",
        "Gracias por los detalles. Está en la lista de trabajo de hoy.",
    ),
]
QUESTIONS_TO_RESIDENT = [
    (
        "Could you tell us the nearest house number or cross street? We could not find it.",
        "¿Nos podría dar el número de casa más cercano o la calle que cruza? No pudimos encontrarlo.",
    ),
    (
        "Could you send a photo? It helps the crew bring the right equipment.",
        "¿Podría enviar una foto? Ayuda al equipo a llevar el equipo correcto.",
    ),
    (
        "We need to get into the building. When is a good time to visit?",
        "Necesitamos entrar al edificio. ¿Cuándo es un buen momento para visitar?",
    ),
]
RESIDENT_ANSWERS = [
    (
        "It is right across from number 48, next to the blue mailbox.",
        "Está justo enfrente del número 48, junto al buzón azul.",
    ),
    ("Any weekday after 4 pm works for us.", "Cualquier día entre semana después de las 4 pm."),
]
INTERNAL_NOTES = [
    "Checked the asset map: this is on our list for the spring program.",
    "Crew 3 can pick this up with the job on the next block.",
    "Caller phoned again, very frustrated. Please prioritise.",
    "Needs a contractor; quote requested.",
    "Same location reported last month, see the linked case.",
    "Materials on order, ETA next week.",
]
REJECTIONS = [
    (
        "We visited and could not find the problem described.",
        "Visitamos el lugar y no encontramos el problema descrito.",
    ),
    (
        "This is a request we cannot do under city policy.",
        "Es una solicitud que no podemos atender según la política municipal.",
    ),
]
NOT_OURS = [
    (
        "This road belongs to the State Highway Department; we forwarded your report to them.",
        "Esta carretera es del Departamento Estatal de Carreteras; les enviamos su reporte.",
    ),
    (
        "This is private property; the owner is responsible. We sent them a notice.",
        "Es propiedad privada; el dueño es responsable. Le enviamos un aviso.",
    ),
    (
        "The utility company owns this pole; we passed your report to Riverton Electric.",
        "El poste es de la compañía eléctrica; enviamos su reporte a Riverton Electric.",
    ),
]
REOPEN_REASONS = [
    (
        "The problem is back after last week's rain.",
        "El problema volvió después de la lluvia de la semana pasada.",
    ),
    ("It was marked fixed, but nothing was done.", "Lo marcaron como resuelto, pero no hicieron nada."),
]
