-- Demo data for pgshop: a category tree (6 roots, 34 categories, 3 levels deep) and ~320 products.
--
-- Runs only against an empty catalog. If shop.categories or shop.products already holds a row, it
-- changes nothing and raises a notice, so it is safe to run on every `make run` or container start.
-- Run it as the database owner:
--   psql "$URL" -qX -v ON_ERROR_STOP=1 --single-transaction -f db/demo/demo_data.sql
--
-- Products are built set-based: each category's brands (or title openings) are cross joined with
-- its product types. An md5 digest of each pair picks the adjective, description fragments,
-- price, stock, metadata and age. md5 rather than random() or hashtext() because md5 gives the
-- same result on every platform and PostgreSQL version, so every machine gets the same catalog.
-- Each product gets its variants (clothing one per size, the rest one default variant); the stock ledger
-- records their opening stock.
do $$
declare
  v_categories bigint;
  v_products bigint;
begin
  -- Make concurrent loaders (and concurrent catalog writes) wait, so two runs cannot both find the catalog empty.
  lock table shop.categories, shop.products in share row exclusive mode;

  if exists (select from shop.categories) or exists (select from shop.products) then
    raise notice 'demo data skipped: the catalog already has categories or products';
    return;
  end if;

  -- The category tree: roots, their children, then grandchildren, each level inserted under the
  -- ids the previous level returned.
  with tree (name, parent, description) as (
    values
      ('Electronics', null, 'Computers, audio, cameras and the accessories that tie them together.'),
      ('Computer Accessories', 'Electronics', 'Everything that sits on or around the desk next to your computer.'),
      ('Keyboards', 'Computer Accessories', 'Mechanical, wireless and tenkeyless keyboards for typing and gaming.'),
      ('Mice & Trackpads', 'Computer Accessories', 'Pointing devices from ergonomic mice to precision trackpads.'),
      ('Monitors', 'Computer Accessories', 'Desktop displays from compact office screens to curved ultrawides.'),
      ('Audio', 'Electronics', 'Headphones, speakers and gear for listening and recording.'),
      ('Headphones', 'Audio', 'Over-ear, studio and true wireless headphones for every kind of listener.'),
      ('Speakers', 'Audio', 'Portable, smart and bookshelf speakers for home and away.'),
      ('Phone Accessories', 'Electronics', 'Chargers, power banks and cases that keep phones running and protected.'),
      ('Cameras', 'Electronics', 'Mirrorless, compact and vlogging cameras for stills and video.'),
      ('Home & Kitchen', null, 'Cookware, appliances, decor and linens for every room of the house.'),
      ('Cookware', 'Home & Kitchen', 'Pans, skillets and saucepans for everyday cooking.'),
      ('Small Appliances', 'Home & Kitchen', 'Countertop machines that make coffee, dough and dinner easier.'),
      ('Home Decor', 'Home & Kitchen', 'Lamps, cushions and clocks that make a house feel like home.'),
      ('Bedding & Bath', 'Home & Kitchen', 'Sheets, duvets, towels and robes for the bedroom and bathroom.'),
      ('Sports & Outdoors', null, 'Gear for hiking, camping, cycling and training at home.'),
      ('Camping & Hiking', 'Sports & Outdoors', 'Shelter, packs and lighting for days and nights outdoors.'),
      ('Tents', 'Camping & Hiking', 'Backpacking, family and ultralight tents.'),
      ('Backpacks', 'Camping & Hiking', 'Daypacks and trekking packs for trails of any length.'),
      ('Fitness', 'Sports & Outdoors', 'Home workout equipment from yoga mats to adjustable weights.'),
      ('Cycling', 'Sports & Outdoors', 'Helmets, lights and pumps for road riders and commuters.'),
      ('Books', null, 'Fiction, non-fiction and children''s books in paperback and hardcover.'),
      ('Fiction', 'Books', 'Novels, mysteries and family sagas.'),
      ('Non-Fiction', 'Books', 'Science, history and practical guides to everyday life.'),
      ('Children''s Books', 'Books', 'Picture books and read-aloud stories for young readers.'),
      ('Clothing', null, 'Everyday clothing, footwear and accessories for men and women.'),
      ('Men''s Clothing', 'Clothing', 'Knitwear, trousers and jackets for men.'),
      ('Women''s Clothing', 'Clothing', 'Dresses, knitwear and denim for women.'),
      ('Shoes', 'Clothing', 'Running shoes and everyday sneakers.'),
      ('Bags & Accessories', 'Clothing', 'Wallets, totes, hats and laptop sleeves to carry your things.'),
      ('Toys & Games', null, 'Board games, building sets and puzzles for all ages.'),
      ('Board Games', 'Toys & Games', 'Strategy, cooperative and family board games.'),
      ('Building Sets', 'Toys & Games', 'Brick and construction sets from fire stations to castles.'),
      ('Puzzles', 'Toys & Games', 'Jigsaw and 3D puzzles from 500 to 1500 pieces.')
  ),
  level_1 as (
    insert into shop.categories (name, description, created_at, updated_at)
    select
      t.name,
      t.description,
      now() - interval '120 days',
      now() - interval '120 days'
    from tree t
    where t.parent is null
    returning id, name
  ),
  level_2 as (
    insert into shop.categories (name, description, parent_id, created_at, updated_at)
    select
      t.name,
      t.description,
      l.id,
      now() - interval '119 days',
      now() - interval '119 days'
    from tree t
    join level_1 l
      on l.name = t.parent
    returning id, name
  )
  insert into shop.categories (name, description, parent_id, created_at, updated_at)
  select
    t.name,
    t.description,
    l.id,
    now() - interval '118 days',
    now() - interval '118 days'
  from tree t
  join level_2 l
    on l.name = t.parent;

  -- The products. Per category: brands (or title openings for books and games) x product types,
  -- optional adjectives, a price range per product type ({min, max}) and description fragments:
  -- uses (the first sentence) and materials have one entry per product type, features two, and
  -- each is picked within its product type's block.
  create temporary table demo_products on commit drop as
  with spec (category, sku_prefix, kind, brands, items, adjectives, price_ranges, uses, materials, features) as (
    values
      (
        'Keyboards', 'EL-KEY', 'electronics',
        array['Keychron', 'Logitech', 'Ducky', 'Gateron'],
        array['Wireless Mechanical Keyboard', 'Brownswitch Mechanical Keyboard', 'Tenkeyless Keyboard'],
        array['', 'Compact', 'Pro', 'Silent', 'RGB', 'Retro'],
        array[array[79, 229], array[69, 199], array[39, 149]],
        array[
          'Made for long typing sessions and late-night gaming alike.',
          'Tactile brown switches give a satisfying bump without the clatter.',
          'Drops the number pad to free up room for your mouse.'
        ],
        array['anodised aluminium', 'a steel plate and PBT keycaps', 'matte ABS plastic'],
        array[
          'Bluetooth 5.1 and USB-C connectivity', 'per-key RGB backlighting',
          'hot-swappable switch sockets', 'PBT double-shot keycaps',
          'a detachable braided USB-C cable', 'adjustable typing angle feet'
        ]
      ),
      (
        'Mice & Trackpads', 'EL-MOU', 'electronics',
        array['Logitech', 'Razer', 'SteelSeries', 'Microsoft'],
        array['Wireless Mouse', 'Ergonomic Vertical Mouse', 'Precision Trackpad'],
        array['', 'Pro', 'Silent', 'Travel'],
        array[array[15, 99], array[29, 119], array[49, 149]],
        array[
          'Pairs neatly with any keyboard on your desk.',
          'Shaped to keep your wrist relaxed through a full working day.',
          'Brings smooth multi-touch gestures to any desktop.'
        ],
        array['soft-touch polycarbonate', 'recycled plastic', 'glass and aluminium'],
        array[
          'a 4000 DPI optical sensor', 'silent-click buttons',
          'a 57-degree handshake grip', 'a rechargeable battery that lasts 70 days',
          'force-sensing clicks', 'multi-device Bluetooth pairing'
        ]
      ),
      (
        'Monitors', 'EL-MON', 'electronics',
        array['Dell', 'LG', 'Samsung', 'BenQ'],
        array['27-inch 4K Monitor', '24-inch IPS Monitor', '34-inch Ultrawide Monitor'],
        array['', 'Pro', 'Gaming', 'Office'],
        array[array[279, 899], array[119, 329], array[349, 1099]],
        array[
          'Sharp, colour-accurate detail for photo editing and spreadsheets alike.',
          'A roomy second screen for your laptop and a tidy desk.',
          'Wraps your games and editing timelines in one wide, curved view.'
        ],
        array['brushed aluminium', 'matte black polycarbonate', 'recycled plastic and steel'],
        array[
          'factory-calibrated sRGB colour', 'USB-C power delivery up to 90 W',
          'a height-adjustable, pivoting stand', 'flicker-free backlighting',
          'a 144 Hz refresh rate', 'a built-in KVM switch for keyboard and mouse'
        ]
      ),
      (
        'Headphones', 'EL-HPH', 'electronics',
        array['Sony', 'Bose', 'Sennheiser', 'JBL'],
        array['Noise-Cancelling Headphones', 'True Wireless Earbuds', 'Studio Headphones'],
        array['', 'Pro', 'Sport', 'Travel'],
        array[array[149, 449], array[29, 299], array[79, 399]],
        array[
          'Shuts out the commute so you can focus on the music.',
          'Tiny buds with big sound for workouts and calls.',
          'Balanced, detailed sound for mixing and critical listening.'
        ],
        array['memory-foam cushions and aluminium', 'lightweight recycled plastic', 'protein leather and spring steel'],
        array[
          'adaptive noise cancellation', 'up to 30 hours of battery life',
          'IPX4 sweat resistance', 'a wireless charging case',
          'a detachable coiled cable', 'replaceable velour ear pads'
        ]
      ),
      (
        'Speakers', 'EL-SPK', 'electronics',
        array['JBL', 'Bose', 'Sonos', 'Marshall'],
        array['Portable Bluetooth Speaker', 'Smart Speaker', 'Bookshelf Speakers'],
        array['', 'Mini', 'Plus', 'Go'],
        array[array[29, 199], array[79, 299], array[199, 649]],
        array[
          'Tough enough for the beach, the park and the shower.',
          'Brings voice control and multi-room streaming to any shelf.',
          'Warm, room-filling stereo sound for records and TV.'
        ],
        array['rugged silicone and fabric', 'acoustic fabric and aluminium', 'walnut veneer'],
        array[
          'IP67 dust and water resistance', '12 hours of playback',
          'Wi-Fi and AirPlay 2 streaming', 'a far-field microphone array',
          'a built-in phono preamp', 'HDMI ARC for your TV'
        ]
      ),
      (
        'Phone Accessories', 'EL-PHA', 'electronics',
        array['Anker', 'Belkin', 'Spigen', 'Mophie'],
        array['USB-C Fast Charger', '20000mAh Power Bank', 'Magnetic Phone Case'],
        array['', 'Slim', 'Pro', 'Travel'],
        array[array[15, 69], array[29, 89], array[9, 59]],
        array[
          'Replaces a drawer full of old chargers.',
          'Keeps your phone topped up wherever the day takes you.',
          'Everyday protection that still slips easily into a pocket.'
        ],
        array['gallium nitride electronics', 'aluminium and recycled plastic', 'shock-absorbing TPU'],
        array[
          '65 W USB-C power delivery', 'two USB-C ports and one USB-A port',
          'enough charge for four phone refills', 'a built-in USB-C cable',
          'MagSafe-compatible magnets', 'drop protection up to 3 metres'
        ]
      ),
      (
        'Cameras', 'EL-CAM', 'electronics',
        array['Canon', 'Nikon', 'Fujifilm'],
        array['Mirrorless Camera Body', 'Compact Travel Camera', 'Vlogging Camera Kit'],
        array[''],
        array[array[599, 1499], array[249, 899], array[449, 1199]],
        array[
          'Travel light without giving up interchangeable lenses.',
          'Pocketable stills and 4K video for trips and family days.',
          'Everything a vlogger needs to start filming straight out of the box.'
        ],
        array['weather-sealed magnesium alloy', 'aluminium and leatherette', 'lightweight polycarbonate'],
        array[
          'a 24-megapixel APS-C sensor', 'in-body image stabilisation',
          'a 10x optical zoom lens', 'a pop-up electronic viewfinder',
          'a flip-out touchscreen', 'a directional microphone and tripod grip'
        ]
      ),
      (
        'Computer Accessories', 'EL-CAC', 'electronics',
        array['Anker', 'UGREEN', 'Satechi'],
        array['USB-C Hub', 'Laptop Stand', 'Wrist Rest'],
        array['', 'Slim', 'Pro'],
        array[array[19, 99], array[25, 119], array[12, 39]],
        array[
          'Adds HDMI, a card reader and extra USB ports to a single-port laptop.',
          'Raises your screen to eye level for better posture.',
          'Cushions your wrists in front of a full-size keyboard.'
        ],
        array['aluminium alloy', 'anodised aluminium', 'memory foam and Lycra'],
        array[
          '4K HDMI output', '100 W pass-through charging',
          'six height settings', 'a foldable design that fits in a laptop bag',
          'a non-slip rubber base', 'a washable cover'
        ]
      ),
      (
        'Audio', 'EL-AUD', 'electronics',
        array['Audio-Technica', 'FiiO', 'Shure'],
        array['USB Microphone', 'Portable DAC Amplifier'],
        array['', 'Pro'],
        array[array[49, 249], array[39, 299]],
        array[
          'Clear, broadcast-quality voice for podcasts and video calls.',
          'Gets more detail out of wired headphones from a phone or laptop.'
        ],
        array['die-cast metal', 'CNC-machined aluminium'],
        array[
          'a cardioid condenser capsule', 'a zero-latency headphone jack',
          'hi-res 32-bit/384 kHz decoding', 'a 4.4 mm balanced output'
        ]
      ),
      (
        'Cookware', 'HK-CKW', 'home',
        array['Le Creuset', 'Lodge', 'Tefal', 'Zwilling'],
        array['Cast Iron Skillet', 'Non-Stick Frying Pan', 'Stainless Steel Saucepan'],
        array['', '24 cm', '28 cm', 'Professional', 'Classic'],
        array[array[19, 249], array[18, 149], array[29, 319]],
        array[
          'Sears steak and bakes cornbread with equal ease.',
          'Eggs and pancakes slide right off with barely any oil.',
          'Simmers sauces, soups and porridge evenly every time.'
        ],
        array['pre-seasoned cast iron', 'hard-anodised aluminium', 'tri-ply stainless steel'],
        array[
          'a helper handle', 'dual pour spouts',
          'a PFOA-free non-stick coating', 'a stay-cool handle',
          'a tempered glass lid', 'measuring marks inside'
        ]
      ),
      (
        'Small Appliances', 'HK-APL', 'home',
        array['Breville', 'KitchenAid', 'Philips', 'Smeg'],
        array['Espresso Machine', 'Stand Mixer', 'Air Fryer'],
        array['', 'Compact', 'Deluxe', 'Retro'],
        array[array[199, 699], array[179, 549], array[49, 229]],
        array[
          'Café-style espresso and silky milk foam at home.',
          'Kneads dough, whips cream and mixes cake batter hands-free.',
          'Crispy fries and roast vegetables with a spoonful of oil.'
        ],
        array['brushed stainless steel', 'die-cast metal', 'BPA-free plastic and steel'],
        array[
          'a 15-bar pump and steam wand', 'a built-in conical burr grinder',
          'a 4.8-litre stainless steel bowl', 'ten speed settings',
          'a 5.5-litre dishwasher-safe basket', 'eight one-touch presets'
        ]
      ),
      (
        'Home Decor', 'HK-DEC', 'home',
        array['Nordhavn', 'Casa Verde', 'Juniper & Oak', 'Lumen'],
        array['Ceramic Table Lamp', 'Linen Throw Pillow', 'Oak Wall Clock'],
        array['', 'Minimalist', 'Rustic', 'Scandinavian'],
        array[array[39, 249], array[15, 79], array[29, 149]],
        array[
          'Casts a warm, soft glow over a bedside table or desk.',
          'Adds texture and colour to a sofa or reading chair.',
          'A quiet clock for the kitchen, hallway or study.'
        ],
        array['hand-glazed stoneware', 'stonewashed linen', 'solid European oak'],
        array[
          'a linen drum shade', 'an inline dimmer switch',
          'a feather-down insert', 'a hidden zip',
          'a silent sweep movement', 'brass hands'
        ]
      ),
      (
        'Bedding & Bath', 'HK-BED', 'home',
        array['Brooklinen', 'Parachute', 'Coyuchi'],
        array['Percale Sheet Set', 'Down Alternative Duvet', 'Turkish Cotton Towel Set', 'Waffle Bathrobe'],
        array['', 'Organic', 'Luxe', 'Classic'],
        array[array[59, 259], array[49, 229], array[25, 129], array[39, 149]],
        array[
          'Crisp, cool sheets for people who sleep hot.',
          'Lofty warmth without the feathers.',
          'Thick, absorbent towels that get softer with every wash.',
          'A light robe for slow mornings and after the gym.'
        ],
        array['long-staple cotton percale', 'recycled microfibre fill', 'Turkish cotton', 'cotton waffle weave'],
        array[
          'deep-pocket fitted sheets', 'a matte, breathable finish',
          'baffle-box stitching', 'corner ties',
          '700 GSM loops', 'a hanging loop on every towel',
          'a shawl collar', 'two deep patch pockets'
        ]
      ),
      (
        'Tents', 'SP-TNT', 'sports',
        array['Big Agnes', 'MSR', 'Nemo', 'Vango'],
        array['2-Person Backpacking Tent', '4-Person Family Tent', 'Ultralight Trekking Pole Tent'],
        array['', 'Storm', 'Alpine', 'Trail'],
        array[array[149, 549], array[119, 649], array[199, 599]],
        array[
          'Light enough to carry for days, roomy enough for two.',
          'A weekend base camp with space for the whole family.',
          'Pitches with your trekking poles to save every possible gram.'
        ],
        array['ripstop nylon', 'recycled polyester', 'silicone-coated Dyneema'],
        array[
          'two doors and two vestibules', 'colour-coded aluminium poles',
          'a blackout bedroom', 'a tall porch you can stand up in',
          'a packed weight under 700 g', 'fully taped seams'
        ]
      ),
      (
        'Backpacks', 'SP-BPK', 'sports',
        array['Osprey', 'Deuter', 'Gregory', 'Patagonia'],
        array['38L Hiking Backpack', '22L Daypack', '65L Trekking Pack'],
        array['', 'Lightweight', 'Trail', 'Expedition'],
        array[array[89, 229], array[35, 129], array[149, 319]],
        array[
          'Sized for overnight hut trips and long day hikes.',
          'Carries layers, lunch and a water bladder on day hikes.',
          'Built to carry a week of food and gear in comfort.'
        ],
        array['recycled ripstop nylon', 'abrasion-resistant polyester', 'high-tenacity nylon'],
        array[
          'an adjustable torso length', 'an integrated rain cover',
          'a ventilated mesh back panel', 'a hydration sleeve',
          'a removable lid that becomes a daypack', 'a padded hip belt with pockets'
        ]
      ),
      (
        'Camping & Hiking', 'SP-CMP', 'sports',
        array['Black Diamond', 'Petzl', 'Sea to Summit'],
        array['Rechargeable Headlamp', 'Compact Camp Lantern', 'Insulated Sleeping Pad'],
        array['', 'Ultralight', 'Trail'],
        array[array[15, 99], array[19, 79], array[49, 179]],
        array[
          'Bright, hands-free light for night hikes and camp chores.',
          'Lights up the whole tent, then packs down to the size of a fist.',
          'A warm, quiet pad for cold nights on hard ground.'
        ],
        array['weatherproof polycarbonate', 'recycled aluminium and silicone', '40D recycled nylon'],
        array[
          'a 400-lumen beam with a red night mode', 'USB-C charging',
          'a collapsible silicone diffuser', 'a hanging hook and a stable base',
          'an R-value of 4.2', 'a one-way inflation valve'
        ]
      ),
      (
        'Fitness', 'SP-FIT', 'sports',
        array['Bowflex', 'Manduka', 'Rogue', 'TRX'],
        array['Adjustable Dumbbell Set', 'Yoga Mat', 'Resistance Band Kit'],
        array['', 'Pro', 'Travel', 'Studio'],
        array[array[129, 429], array[19, 129], array[12, 59]],
        array[
          'Replaces a full rack of weights in a corner of the room.',
          'Stable, cushioned support for yoga and pilates.',
          'A full-body workout that fits in a carry bag.'
        ],
        array['powder-coated steel', 'natural tree rubber', 'latex-free TPE'],
        array[
          'weights from 2 to 24 kg', 'a quick-select dial',
          'a grippy, closed-cell surface', 'laser-etched alignment lines',
          'five resistance levels', 'a door anchor and ankle straps'
        ]
      ),
      (
        'Cycling', 'SP-CYC', 'sports',
        array['Giro', 'Topeak', 'Lezyne', 'Bontrager'],
        array['Road Cycling Helmet', 'LED Bike Light Set', 'Mini Floor Pump'],
        array['', 'Aero', 'Commuter', 'Race'],
        array[array[49, 259], array[19, 119], array[19, 69]],
        array[
          'Light, well-ventilated protection for long summer rides.',
          'Be seen on dark commutes from the front and from behind.',
          'Small enough for a jersey pocket, strong enough for road pressures.'
        ],
        array['in-moulded EPS foam', 'machined aluminium', 'CNC-machined aluminium'],
        array[
          'MIPS rotational protection', 'a dial-adjust fit system',
          'a 1000-lumen front light', 'USB-C rechargeable batteries',
          'a gauge that reads up to 11 bar', 'a head for Presta and Schrader valves'
        ]
      ),
      (
        'Fiction', 'BK-FIC', 'book',
        array['The Silent', 'A Winter', 'Beneath the', 'The Glass'],
        array['Harbor', 'Orchard', 'Lighthouse'],
        array[''],
        array[array[8, 24], array[8, 24], array[8, 24]],
        array['A twisty coastal mystery', 'A slow-burning family saga', 'A quietly gripping literary novel'],
        array['Paperback', 'Hardcover'],
        array[
          'A missing trawler and a town full of secrets keep the pages turning.',
          'Set over one stormy week on the northern coast.',
          'Three generations fight to keep the family apple orchard alive.',
          'Told across five summers in the hills above a fading market town.',
          'A keeper''s old logbooks unlock a love story nobody was meant to read.',
          'Shortlisted for several debut fiction prizes.'
        ]
      ),
      (
        'Non-Fiction', 'BK-NF', 'book',
        array['The Art of', 'A Short History of', 'The Science of', 'Rethinking'],
        array['Sleep', 'Money', 'Cities'],
        array[''],
        array[array[12, 40], array[12, 40], array[12, 40]],
        array[
          'An accessible tour of what happens while we rest',
          'A clear-eyed guide to earning, saving and spending',
          'A lively look at how cities grow and change'
        ],
        array['Paperback', 'Hardcover'],
        array[
          'Draws on decades of research from sleep labs around the world.',
          'Ends with practical habits for better nights.',
          'Explains compound interest, index funds and budgets without jargon.',
          'Full of worked examples and simple charts.',
          'Travels from ancient Rome to modern Tokyo.',
          'Asks what makes a street pleasant to walk down.'
        ]
      ),
      (
        'Children''s Books', 'BK-KID', 'book',
        array['Pip and the', 'The Little', 'Hello,', 'Where Is the'],
        array['Moon', 'Brave Dragon', 'Sleepy Bear'],
        array[''],
        array[array[8, 20], array[8, 20], array[8, 20]],
        array['A soothing bedtime picture book', 'A rollicking read-aloud adventure', 'A gentle rhyming story'],
        array['Hardcover', 'Board Book'],
        array[
          'Glow-in-the-dark pages make it a favourite at lights-out.',
          'Perfect for ages 2 to 5.',
          'Bold, funny illustrations on every spread.',
          'A story about courage, friendship and sharing.',
          'Sturdy pages stand up to little hands.',
          'Counts from one to ten as the forest goes to sleep.'
        ]
      ),
      (
        'Men''s Clothing', 'CL-MEN', 'clothing',
        array['Patagonia', 'Uniqlo', 'Levi''s', 'Barbour'],
        array['Merino Crew Sweater', 'Slim Fit Chino Trousers', 'Waxed Cotton Jacket'],
        array['', 'Classic', 'Heritage', 'Essential'],
        array[array[49, 199], array[39, 119], array[99, 399]],
        array[
          'A warm, breathable layer for cold mornings and office days.',
          'Smart enough for work, relaxed enough for the weekend.',
          'A rugged outer layer that shrugs off wind and drizzle.'
        ],
        array['extra-fine merino wool', 'stretch organic cotton twill', 'waxed British cotton'],
        array[
          'ribbed cuffs and hem', 'a soft, itch-free knit',
          'a hidden stretch waistband', 'deep front pockets',
          'a corduroy collar', 'a tartan cotton lining'
        ]
      ),
      (
        'Women''s Clothing', 'CL-WMN', 'clothing',
        array['Everlane', 'Uniqlo', 'Patagonia', 'Madewell'],
        array['Linen Wrap Dress', 'Cashmere Cardigan', 'High-Rise Straight Jeans'],
        array['', 'Classic', 'Relaxed', 'Essential'],
        array[array[49, 199], array[99, 299], array[49, 159]],
        array[
          'Light and breezy for warm days and summer evenings.',
          'A soft, cosy layer to throw over anything.',
          'A flattering everyday fit that goes with everything.'
        ],
        array['European linen', 'Grade-A Mongolian cashmere', 'rigid organic denim'],
        array[
          'a tie waist', 'side-seam pockets',
          'mother-of-pearl buttons', 'a relaxed, cropped cut',
          'a high, sculpting rise', 'a clean straight leg'
        ]
      ),
      (
        'Shoes', 'CL-SHO', 'clothing',
        array['Nike', 'Adidas', 'Hoka', 'Salomon'],
        array['Road Running Shoes', 'Trail Running Shoes', 'Leather Sneakers'],
        array['', 'Lightweight', 'Cushioned', 'Everyday'],
        array[array[79, 219], array[89, 199], array[59, 179]],
        array[
          'Springy cushioning for daily miles on pavement.',
          'Grippy and stable on mud, rock and roots.',
          'Clean, minimal sneakers that go with jeans or chinos.'
        ],
        array['engineered mesh', 'ripstop mesh with a rubber toe cap', 'full-grain leather'],
        array[
          'a responsive foam midsole', 'reflective heel details',
          'a 5 mm lugged outsole', 'a rock plate underfoot',
          'a cushioned cork footbed', 'a stitched rubber cupsole'
        ]
      ),
      (
        'Bags & Accessories', 'CL-ACC', 'clothing',
        array['Herschel', 'Fjällräven', 'Bellroy'],
        array['Leather Wallet', 'Canvas Tote Bag', 'Wool Beanie', 'Laptop Sleeve'],
        array['', 'Classic', 'Everyday'],
        array[array[25, 119], array[19, 149], array[12, 49], array[25, 89]],
        array[
          'Slim enough for a front pocket, roomy enough for cards and cash.',
          'Carries groceries, books and a laptop with room to spare.',
          'Keeps your ears warm on the coldest walks.',
          'Protects a 14-inch laptop and a slim keyboard on the move.'
        ],
        array['vegetable-tanned leather', 'heavyweight waxed canvas', 'recycled merino wool', 'water-resistant recycled nylon'],
        array[
          'RFID-blocking card slots', 'a quick-access card sleeve',
          'an internal zip pocket', 'reinforced leather handles',
          'a fold-over cuff', 'a fleece-lined band',
          'a padded, fleece-lined interior', 'a front pocket for chargers and cables'
        ]
      ),
      (
        'Board Games', 'TG-BRD', 'game',
        array['Tiny', 'Lost', 'Sky', 'Harbor'],
        array['Kingdoms Strategy Game', 'Expedition Cooperative Game', 'Traders Board Game'],
        array[''],
        array[array[29, 79], array[25, 69], array[15, 49]],
        array[
          'A tight strategy game of building, trading and clever timing.',
          'Work together to escape before the map runs out.',
          'A lively family game of bargaining and bluffing.'
        ],
        array['wooden meeples', 'a deck of linen-finish cards', 'chunky cardboard ship tiles'],
        array[
          'a double-sided modular board', 'a solo mode',
          'a campaign of twelve scenarios', 'a companion app for rules and music',
          'rules for a quick 45-minute game', 'a ten-minute teaching guide'
        ]
      ),
      (
        'Building Sets', 'TG-BLD', 'toy',
        array['LEGO', 'Playmobil', 'Mega', 'K''NEX'],
        array['City Fire Station Set', 'Space Shuttle Building Kit', 'Medieval Castle Set'],
        array[''],
        array[array[29, 149], array[49, 249], array[39, 199]],
        array[
          'A busy fire station with a working garage door and a fire engine.',
          'Build a detailed shuttle with opening cargo bay doors.',
          'Storm the walls or defend the keep with knights and a drawbridge.'
        ],
        array['durable ABS plastic', 'recycled ABS plastic'],
        array[
          'four minifigures', 'light and sound bricks',
          'a display stand', 'a deployable satellite',
          'a working drawbridge', 'six knights and a dragon'
        ]
      ),
      (
        'Puzzles', 'TG-PZL', 'toy',
        array['Ravensburger', 'Galison', 'Buffalo Games'],
        array['1000-Piece Mountain Lake Puzzle', '500-Piece World Map Puzzle', '1500-Piece Night Sky Puzzle', '3D Wooden Globe Puzzle'],
        array[''],
        array[array[12, 29], array[9, 19], array[15, 39], array[19, 45]],
        array[
          'A calm alpine lake at dawn, perfect for a rainy weekend.',
          'Learn the countries and capitals as the map comes together.',
          'A deep blue challenge full of stars and constellations.',
          'Slot together a spinning wooden globe for the desk.'
        ],
        array['thick recycled board', 'thick recycled board', 'thick recycled board', 'laser-cut birch plywood'],
        array[
          'a poster of the finished image', 'snug, random-cut pieces',
          'a fact sheet on every country', 'pieces that lock tightly together',
          'glow-in-the-dark ink', 'a poster of the finished image',
          'a rotating stand', 'no glue required'
        ]
      )
  ),
  combo as (
    select
      s.*,
      c.id as category_id,
      b.brand,
      b.brand_no,
      i.item,
      i.item_no::integer as item_no,
      cardinality(s.items) as item_count,
      md5(s.sku_prefix || ':' || b.brand || ':' || i.item) as digest
    from spec s
    join shop.categories c
      on lower(c.name) = lower(s.category)
    cross join unnest(s.brands) with ordinality as b (brand, brand_no)
    cross join unnest(s.items) with ordinality as i (item, item_no)
  ),
  -- Eight independent non-negative 32-bit numbers per product, from its digest and a digest of that.
  hashed as (
    select
      x.*,
      ('x' || substr(x.digest, 1, 8))::bit(32)::bigint as h1,
      ('x' || substr(x.digest, 9, 8))::bit(32)::bigint as h2,
      ('x' || substr(x.digest, 17, 8))::bit(32)::bigint as h3,
      ('x' || substr(x.digest, 25, 8))::bit(32)::bigint as h4,
      ('x' || substr(md5(x.digest), 1, 8))::bit(32)::bigint as h5,
      ('x' || substr(md5(x.digest), 9, 8))::bit(32)::bigint as h6,
      ('x' || substr(md5(x.digest), 17, 8))::bit(32)::bigint as h7,
      ('x' || substr(md5(x.digest), 25, 8))::bit(32)::bigint as h8
    from combo x
  ),
  -- Fragments: arrays with at least one entry per product type are read in that type's block.
  picked as (
    select
      y.*,
      concat_ws(' ', y.brand, nullif(y.adjectives[1 + (y.h1 % cardinality(y.adjectives))::integer], ''), y.item) as name,
      y.uses[
        case
          when cardinality(y.uses) >= y.item_count
            then (y.item_no - 1) * (cardinality(y.uses) / y.item_count) + 1 + (y.h4 % (cardinality(y.uses) / y.item_count))::integer
          else 1 + (y.h4 % cardinality(y.uses))::integer
        end
      ] as use_text,
      y.materials[
        case
          when cardinality(y.materials) >= y.item_count
            then (y.item_no - 1) * (cardinality(y.materials) / y.item_count) + 1 + (y.h5 % (cardinality(y.materials) / y.item_count))::integer
          else 1 + (y.h5 % cardinality(y.materials))::integer
        end
      ] as material,
      y.features[
        case
          when cardinality(y.features) >= y.item_count
            then (y.item_no - 1) * (cardinality(y.features) / y.item_count) + 1 + (y.h6 % (cardinality(y.features) / y.item_count))::integer
          else 1 + (y.h6 % cardinality(y.features))::integer
        end
      ] as feature,
      (array['Black', 'White', 'Graphite', 'Navy', 'Sage Green', 'Sand', 'Burgundy', 'Slate Blue'])[1 + (y.h7 % 8)::integer] as color,
      (array[
        'Maren Holt', 'Idris Calloway', 'Sofia Lindqvist', 'Tomasz Wren',
        'Amara Okafor', 'Julian Ashby', 'Nell Fairweather', 'Rafael Ortega'
      ])[1 + (y.h7 % 8)::integer] as author,
      y.price_ranges[y.item_no][1]
        + (y.h2 % 100001) / 100000.0 * (y.price_ranges[y.item_no][2] - y.price_ranges[y.item_no][1]) as raw_price
    from hashed y
  ),
  numbered as (
    select
      z.*,
      row_number() over (partition by z.sku_prefix order by z.brand_no, z.item_no) as sku_no,
      row_number() over (order by z.digest) as age_rank
    from picked z
  )
  -- Every column a product and its variants need, computed once, with the product's id taken up front.
  select
    nextval(pg_get_serial_sequence('shop.products', 'id')) as id,
    n.kind,
    n.h3,
    n.name,
    concat_ws(
      ' ',
      case n.kind
        when 'book' then n.use_text || ' by ' || n.author || '.'
        else n.use_text
      end,
      case n.kind
        when 'book' then n.feature
        when 'game' then format('Includes %s and %s.', n.material, n.feature)
        when 'clothing' then format('Made from %s with %s.', n.material, n.feature)
        when 'toy' then format('Made of %s, with %s.', n.material, n.feature)
        else format('Built from %s with %s.', n.material, n.feature)
      end,
      case
        when n.h8 % 5 >= 2 then null
        when n.kind = 'book' then format('This %s edition is printed on FSC-certified paper.', lower(n.material))
        when n.kind = 'clothing' then (array[
          'Machine washable at 30 degrees.',
          'Cut for an easy, true-to-size fit.',
          'Part of our year-round essentials range.'
        ])[1 + (n.h8 / 5 % 3)::integer]
        when n.kind in ('game', 'toy') then (array[
          'A great gift for birthdays and rainy afternoons.',
          'Packaged in a sturdy, plastic-free box.',
          'Tested to EN 71 toy safety standards.'
        ])[1 + (n.h8 / 5 % 3)::integer]
        else (array[
          'Ships in plastic-free, recyclable packaging.',
          'Covered by a two-year limited warranty.',
          'Free returns within 30 days.'
        ])[1 + (n.h8 / 5 % 3)::integer]
      end
    ) as description,
    -- A retail-looking price inside the product type's range: whole amounts above 100, cents endings below.
    case
      when n.raw_price >= 100 then round(n.raw_price) - (array[0.01, 0.05, 1.01, 0.00])[1 + (n.h5 / 7 % 4)::integer]
      else floor(n.raw_price) + (array[0.99, 0.49, 0.95, 0.00])[1 + (n.h5 / 7 % 4)::integer]
    end::numeric(12, 2) as price,
    n.category_id,
    -- Mostly 0-250 on hand; about one in 17 sold out and one in 13 down to 1-5 units (low stock).
    case
      when n.h3 % 17 = 0 then 0
      when n.h3 % 13 = 0 then 1 + (n.h3 / 13 % 5)::integer
      else (n.h3 / 221 % 251)::integer
    end as stock,
    n.sku_prefix || '-' || lpad(n.sku_no::text, 4, '0') as sku,
    n.age_rank % 64 <> 0 as is_active,
    case n.kind
      when 'book' then jsonb_build_object(
        'author', n.author,
        'format', n.material,
        'pages', case when n.sku_prefix = 'BK-KID' then 24 + n.h6 % 40 else 120 + n.h6 % 520 end,
        'published', 1995 + n.h7 / 8 % 30,
        'language', 'en'
      )
      when 'game' then jsonb_build_object(
        'publisher', (array['Asmodee', 'Z-Man Games', 'Stonemaier', 'Ravensburger'])[1 + (n.h6 % 4)::integer],
        'players', (array['1-4', '2-4', '2-5', '3-6'])[1 + (n.h7 / 8 % 4)::integer],
        'age_min', (array[8, 10, 12, 14])[1 + (n.h5 % 4)::integer],
        'playing_time_min', (array[30, 45, 60, 90])[1 + (n.h3 / 3 % 4)::integer]
      )
      when 'toy' then jsonb_build_object(
        'brand', n.brand,
        'material', n.material,
        'age_min', 4 + n.h6 % 9,
        'pieces', coalesce(substring(n.item from '^(\d+)-Piece')::integer, 150 + (n.h7 / 8 % 48)::integer * 50)
      )
      when 'clothing' then jsonb_build_object(
        'brand', n.brand,
        'color', n.color,
        'material', n.material,
        'sizes', case n.sku_prefix
          when 'CL-SHO' then '["39", "40", "41", "42", "43", "44", "45", "46"]'::jsonb
          when 'CL-ACC' then '["One size"]'::jsonb
          else (array['["XS", "S", "M", "L", "XL"]', '["S", "M", "L", "XL", "XXL"]'])[1 + (n.h6 % 2)::integer]::jsonb
        end
      )
      when 'electronics' then jsonb_build_object(
        'brand', n.brand,
        'color', n.color,
        'material', n.material,
        'warranty_months', case when n.h6 % 3 = 0 then 24 else 12 end
      )
      else jsonb_build_object(
        'brand', n.brand,
        'color', n.color,
        'material', n.material
      )
    end as metadata,
    case when n.h4 / 7 % 6 = 0 then 10 else 5 end as low_stock_threshold,
    -- Roughly one product every five hours over the last two months; ids follow created_at.
    now() - make_interval(hours => (n.age_rank * 5)::integer, mins => (n.h1 / 7 % 60)::integer) as created_at
  from numbered n
  order by n.age_rank desc;

  insert into shop.products (id, name, description, category_id, is_active, metadata, created_at, updated_at)
  overriding system value
  select d.id, d.name, d.description, d.category_id, d.is_active, d.metadata, d.created_at, d.created_at
  from demo_products d
  order by d.id;

  -- Clothing in several sizes has an option Size with the sizes of its metadata and a variant each (SKU
  -- -<size>), the stock spread over them. Everything else is one default variant.
  update demo_products d set kind = 'one size' where d.kind = 'clothing' and jsonb_array_length(d.metadata -> 'sizes') < 2;
  insert into shop.product_options (product_id, name)
  select d.id, 'Size' from demo_products d where d.kind = 'clothing' order by d.id;
  insert into shop.product_option_values (option_id, value, position)
  select o.id, z.size, z.n - 1
  from demo_products d
  join shop.product_options o on o.product_id = d.id
  cross join jsonb_array_elements_text(d.metadata -> 'sizes') with ordinality z(size, n)
  order by o.id, z.n;
  insert into shop.variants (product_id, sku, price, stock_quantity, low_stock_threshold, position, created_at,
                             updated_at)
  select d.id, case when v.size is null then d.sku else d.sku || '-' || v.size end, d.price,
         case when v.size is null then d.stock
              else d.stock / v.sizes + case when v.n <= d.stock % v.sizes then 1 else 0 end end,
         d.low_stock_threshold, coalesce(v.n - 1, 0), d.created_at, d.created_at
  from demo_products d
  left join lateral (select z.size, z.n, jsonb_array_length(d.metadata -> 'sizes') as sizes
                     from jsonb_array_elements_text(d.metadata -> 'sizes') with ordinality z(size, n)
                     where d.kind = 'clothing') v on true
  order by d.id, v.n;
  insert into shop.variant_option_values (variant_id, product_id, option_id, value_id)
  select v.id, v.product_id, o.id, ov.id
  from shop.variants v
  join demo_products d on d.id = v.product_id and d.kind = 'clothing'
  join shop.product_options o on o.product_id = v.product_id
  join shop.product_option_values ov on ov.option_id = o.id and v.sku = d.sku || '-' || ov.value;


  select count(*) into v_categories from shop.categories;
  select count(*) into v_products from shop.products;
  raise notice 'demo data loaded: % categories, % products', v_categories, v_products;
end
$$;
