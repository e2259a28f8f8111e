#!/usr/bin/env python3
"""Builds the labeled triage corpus (corpus.jsonl) for the support service.

Usage: python3 make_corpus.py [--out corpus.jsonl] [--seed 20261203] [--per-intent 200]

Every message is labeled with an intent (the first thing the customer wants),
an urgency (low, normal, high) and a sentiment (negative, neutral, positive);
a message that asks for two things also carries `secondary`. Messages are
built from hand-written phrasings per intent, filled with realistic slots
(order numbers in the shapes our channels use, carrier tracking numbers,
products, dates), wrapped in greetings and signatures or not, and roughened
the way real customer mail is (typos, missing punctuation, all lower case or
shouting, terse one-liners and long stories).

The held-out split is by phrasing, not by message: a fifth of each intent's
phrasings (chosen with the seed) appear only in the test split, so the
evaluation measures how the model does on wordings it never saw, not on
re-filled copies of its training sentences. The output is deterministic for
a seed; the committed corpus is what the default arguments produce.
"""

import argparse
import json
import random

INTENTS = {
    "where_is_my_order": [
        "where is my order {order}?",
        "I ordered {product} on {date} and it still hasn't arrived.",
        "My package was supposed to arrive {date} but nothing came. Tracking {tracking} hasn't moved in days.",
        "Can you tell me when order {order} will be delivered?",
        "hi, any update on my order? it's been {days} days",
        "The tracking link says delivered but there is no parcel at my door. Order {order}.",
        "Has my order {order} shipped yet? I haven't received a shipping confirmation.",
        "I'm still waiting for the {product} I bought {days} days ago.",
        "tracking number {tracking} shows no movement since {date}, is it lost?",
        "When will I get my stuff?? order {order}",
        "Could you check the status of my order please? It was placed on {date}.",
        "I need the {product} by {date} for a birthday, will it arrive in time? Order {order}",
        "my parcel seems stuck at the depot, {tracking}",
        "Still nothing. Order {order}. Where is it?",
        "The courier website says 'exception' for {tracking}. What does that mean for my delivery?",
        "I got an email saying my order shipped but the tracking number {tracking} doesn't work.",
        "Hello, I would like to know the expected delivery date for order {order}.",
        "Nothing has arrived yet and the estimated date was yesterday.",
        "is order {order} coming today or not",
        "It's been over two weeks. I paid for express shipping. Where is my {product}?",
        "Can I get an ETA on {order}?",
        "The delivery driver never came, the app said out for delivery all day. {tracking}",
        "order not received",
        "My neighbour hasn't got it either, the tracking says it was left with a neighbour. Order {order}.",
        "Do you ship on weekends? I'm wondering when my order {order} will come.",
        "Any news about my delivery? The order number is {order}.",
        "I was told 2-3 working days, it's now been {days}.",
        "Could you chase the courier for me? {tracking} has said 'in transit' for a week.",
        "I'm starting to think my order got lost. {order}",
        "Was my order {order} actually sent? Nothing shows up on the tracking page.",
        "The parcel hasn't turned up and I need it for a trip on {date}.",
        "Where's my package? I've been checking the tracking every day.",
        "Tracking hasn't updated since it left the warehouse. Order {order}.",
        "I still don't have my {product}, what is going on",
        "My order says dispatched on {date} but the carrier has no record of it.",
        "Can you find out where {tracking} is? The courier's hotline is useless.",
        "Has anything happened to my order? No email since I paid.",
        "order {order} - delivery status?",
        "It said arriving today and then changed to 'delayed'. Why?",
        "The parcel went back to your warehouse according to tracking, why? {tracking}",
    ],
    "return_request": [
        "I'd like to return the {product} from order {order}.",
        "How do I send back an item? It doesn't fit.",
        "The {product} is too small, can I return it for a refund?",
        "I want to return order {order}, please send me a return label.",
        "return please, changed my mind about the {product}",
        "Can I still return something I bought on {date}?",
        "I would like to return two items from my order {order}: the {product} and the {product2}.",
        "The colour of the {product} looks different from the photos, I want to send it back.",
        "What is your return policy? I need to return the {product}.",
        "Please arrange a pickup for my return, order {order}.",
        "i need a return label for {order}",
        "I received the {product} but I no longer need it. How do I get my money back?",
        "Is it possible to exchange the {product} for a bigger size?",
        "I'd like a refund for the {product}, it's not what I expected.",
        "Can you start a return for me? Order number {order}.",
        "The quality of the {product} is poor, I want to return it.",
        "How long do I have to return items?",
        "I bought the wrong size. Can I swap it for a {size}?",
        "want to send the {product} back, how",
        "Please process a return for my order {order}, the item is unused and in its original box.",
        "Returning the {product}. Do I pay for return shipping?",
        "I ordered two sizes to try on, I'm keeping one and returning the other. Order {order}.",
        "Can I return an item that was on sale?",
        "I need to return the gift I received, I don't have the order number.",
        "Refund request for order {order}, item doesn't suit me.",
        "I'd like to send the {product} back, it's just not for me.",
        "How can I return a product bought through your Amazon shop? Order {order}",
        "The {product} doesn't match my kitchen, may I return it unopened?",
        "Please tell me how to return my purchase, I don't see the option in my account.",
        "I want my money back for the {product}, I'll ship it back today.",
        "Can I drop off my return at a post office? Order {order}",
        "Where do I send returns to? I have the {product} packed already.",
        "I'd like to return part of my order {order}: only the {product}.",
        "The {product} fits badly, I want to send it back and get the {size} instead.",
        "Return label please for the {product}, order {order}.",
        "I opened it but never used it, can I still return the {product}?",
        "My wife bought this without telling me, we need to return it.",
        "Is the return free or do I pay the postage for the {product}?",
        "I'd like to return my order within the 30 days, what do I need to do?",
        "please take back the {product}",
    ],
    "damaged_item": [
        "My {product} arrived broken.",
        "The box was crushed and the {product} inside is damaged. Order {order}.",
        "The {product} I received is cracked, see the attached photo.",
        "Item arrived damaged!!! order {order}",
        "the screen of the {product} is scratched straight out of the box",
        "One of the {product}s was shattered when I opened the parcel.",
        "The {product} has a big stain on it and a hole in the seam.",
        "Received my order today but the {product} is dented.",
        "the {product} doesnt work, it wont turn on at all",
        "Parcel arrived wet and the {product} is ruined. {tracking}",
        "There is a tear in the {product}, I attached pictures.",
        "Your courier clearly dropped the package, the {product} is in pieces.",
        "The zipper on the {product} broke the first time I used it.",
        "The {product} leaked all over the other items in the box.",
        "The {product} is defective, it makes a loud noise and stops after a minute.",
        "broken on arrival. order {order}. what now",
        "I opened the {product} and the glass is cracked, what can you do?",
        "The packaging was torn open and the {product} is scratched and missing a part.",
        "Faulty item - the {product} won't charge.",
        "The {product} arrived with a broken handle, I'd like a replacement.",
        "damaged goods received, photos attached, order {order}",
        "The corner of the {product} is smashed.",
        "My {product} stopped working after two days.",
        "The sole of the {product} came off after one wear.",
        "It came broken. Again.",
        "The {product} came with a crack down the middle.",
        "Half of the items in my box were squashed. Order {order}.",
        "When I unpacked the {product} I found it bent.",
        "The {product} smells burnt and sparks when I plug it in.",
        "The lid of the {product} is broken off.",
        "My parcel looked like it had been run over and the {product} is unusable.",
        "The {product} has missing screws and a broken leg.",
        "The fabric of the {product} is ripped along the side.",
        "It arrived dented and scuffed, not acceptable for a new item.",
        "The {product} is chipped, I have photos.",
        "The {product} arrived in pieces. {tracking}",
        "The button on the {product} fell off straight away and the case is cracked.",
        "Water damage on the box and the {product} inside is warped.",
        "The {product} was delivered broken, what are my options?",
        "I think the {product} was damaged in transit, the box had a hole in it.",
    ],
    "wrong_item": [
        "I received the wrong item. I ordered {product} but got {product2}.",
        "This is not what I ordered. Order {order}.",
        "You sent me a {size} instead of the size I picked.",
        "The parcel contained someone else's order.",
        "wrong colour sent, i ordered black and got white",
        "I got {product2} instead of {product}, order {order}.",
        "The item in the box doesn't match the item on my invoice.",
        "My order {order} had only one of the two items and one item that isn't mine.",
        "You shipped the wrong model of {product}.",
        "received wrong product",
        "The label on the box says {product} but inside is a {product2}.",
        "I ordered three {product}s but received three {product2}s.",
        "The size on the tag is {size}, not what I ordered.",
        "Hi, I think there was a mix-up with my order {order}, I received a completely different product.",
        "Got someone else's package with a different name on it. {tracking}",
        "The {product} is the wrong version, I ordered the one with the case.",
        "wrong item AGAIN. order {order}",
        "I was sent the wrong flavour.",
        "The item I received is not the one in the picture on your site.",
        "My order is missing the {product} and has an extra {product2} I didn't order.",
        "You sent a left shoe twice.",
        "The {product} is a different brand from the one I bought.",
        "Hello, the contents of my parcel are not what I ordered, can you send the correct item?",
        "incorrect item in parcel {order}",
        "I ordered the pack of 6 and got a single {product}.",
        "The {product} you sent isn't the one I chose, I picked the other colour.",
        "Whoever packed order {order} put in the wrong thing.",
        "This {product2} is not mine, I bought a {product}.",
        "You sent me a men's size instead of a women's.",
        "The model number on the box doesn't match my order {order}.",
        "I got the right product in the wrong size, {size} instead of what I ordered.",
        "My parcel had a {product2} in it, I never ordered that.",
        "Completely different item in the box, order {order}.",
        "The set I received is missing pieces and has parts from another set.",
        "The item shipped is not the one listed on my order confirmation.",
        "The {product} came in green, I ordered grey.",
        "I received a used item instead of a new one.",
        "They sent me the cheaper version of the {product}.",
        "I opened my parcel and it's a {product2}. I ordered a {product}!",
        "wrong stuff in my order {order}",
    ],
    "cancel_order": [
        "Please cancel my order {order}.",
        "I want to cancel my order, I ordered by mistake.",
        "cancel order {order} asap",
        "Can I still cancel the order I placed {date}?",
        "I ordered the {product} twice by accident, please cancel one of them.",
        "Please don't ship my order {order}, I found it cheaper elsewhere.",
        "How do I cancel an order that hasn't shipped yet?",
        "I need to cancel the {product} from my order before it ships.",
        "cancel pls",
        "I changed my mind, please cancel order {order} and refund me.",
        "Stop my order {order}! I entered the wrong payment details.",
        "Could you cancel my purchase? I no longer need it.",
        "I'd like to cancel the whole order {order}.",
        "Is it too late to cancel? I just placed order {order} ten minutes ago.",
        "Please remove the {product} from my order, I only want the {product2}.",
        "cancel my subscription order",
        "I placed an order by accident while browsing, can you void it?",
        "Please cancel, delivery takes too long.",
        "Kindly cancel my order {order} and confirm by email.",
        "I want to cancel before it is dispatched.",
        "duplicate order - cancel the second one please {order}",
        "Cancel everything I ordered today.",
        "I need to cancel order {order} because I'm moving abroad next week.",
        "can u cancel {order}",
        "Please cancel my pre-order of the {product}.",
        "Please stop the order {order}, I don't want it anymore.",
        "I would like to cancel my order before it goes out.",
        "Cancel the {product} please, I ordered the wrong one.",
        "I need to cancel order {order}, my card was used without my permission.",
        "Don't send order {order}, I'll order again later.",
        "Is it still possible to cancel? I placed the order {date}.",
        "Please void my order {order} and refund the payment.",
        "I want to call off my purchase.",
        "Cancellation request for order {order}.",
        "Please cancel all items on my order except the {product}.",
        "Can you cancel the express delivery order, I'll pick it up in store instead?",
        "I ordered from the wrong account, please cancel {order}.",
        "I no longer want the {product}, it hasn't shipped so please cancel.",
        "Cancel my order. Thanks.",
        "Can the order still be stopped? {order}",
    ],
    "change_address": [
        "I need to change the delivery address for order {order}.",
        "Can you ship my order to a different address? I'm moving.",
        "I made a typo in my address, it should be {street}.",
        "please update shipping address to {street}, {city}",
        "Can I have my parcel delivered to my office instead? Order {order}.",
        "The postcode on my order is wrong.",
        "I forgot my flat number in the address, it's flat {flat}.",
        "Can you change the address before it ships? New address: {street}, {city}.",
        "Wrong address on order {order}!! please fix",
        "I'd like my order sent to my parents' house instead, {street} in {city}.",
        "Could the courier deliver to a pickup point instead of my home?",
        "I moved last week, please send order {order} to my new address.",
        "Please add 'c/o {name}' to the delivery address.",
        "change address",
        "The house number is missing from my address.",
        "Can I redirect my package? {tracking}",
        "I'm away next week, can you deliver to my work address {street}?",
        "Update my address for all future orders please.",
        "The street name is misspelled on order {order}, it's {street}.",
        "Deliver to my neighbour at number {flat} instead please.",
        "I typed the wrong city, it should be {city}.",
        "is it possible to change where my order goes",
        "Please change the recipient name and address on order {order}.",
        "My address changed, new one is {street}, {city}, same order {order}.",
        "Can you send it to a parcel locker instead?",
        "I need my order delivered to {street}, {city} instead of the address I gave.",
        "Can you correct the delivery address on {order}? The zip code is wrong.",
        "Please ship to my holiday address in {city} this time.",
        "I put my old address by mistake, new one: {street}.",
        "Could you change the shipping address on my order before dispatch?",
        "Send it to the {city} office please, not my home.",
        "My apartment number is missing, please add {flat}.",
        "Please amend the address for order {order} to {street}, {city}.",
        "I'll be away, can I change delivery to a pickup point near {street}?",
        "Can the courier leave it at {street} instead?",
        "The address on the label is incomplete, please update it.",
        "I need to change the postcode on my order.",
        "Is it too late to change the address for {order}?",
        "Please reroute my parcel to {city}. {tracking}",
        "new delivery address pls: {street} {city}",
    ],
    "billing_question": [
        "I was charged twice for order {order}.",
        "Can I get an invoice for my order {order} with my company's VAT number?",
        "Why was I charged {amount} when the total was less?",
        "I haven't received my refund yet for the return I sent on {date}.",
        "There is a charge on my card I don't recognise from your shop.",
        "Can you send me a VAT invoice please?",
        "my refund is missing, it's been {days} days",
        "The discount code wasn't applied to my order {order}.",
        "Do your prices include VAT?",
        "I paid by bank transfer but my order {order} still says unpaid.",
        "Please correct the billing address on my invoice.",
        "I was charged shipping even though my order was over the free shipping limit.",
        "Can I pay by invoice for business orders?",
        "The amount on my bank statement is {amount}, the invoice says something else.",
        "refund not received for {order}",
        "Why did you charge a restocking fee on my return?",
        "I need a copy of the invoice for order {order} for my expense report.",
        "Can I get a receipt without the prices? It's a gift.",
        "You refunded the wrong amount, I should get {amount} back.",
        "Is there a way to split the payment?",
        "The invoice shows the wrong company name.",
        "I was billed for an item that was never delivered.",
        "When will the credit note for order {order} be issued?",
        "payment failed but money left my account",
        "Can you explain the charges on invoice {invoice}?",
        "My card was debited but the order shows as failed.",
        "I need an invoice with my company address on it for order {order}.",
        "You charged me VAT although I gave a valid VAT ID.",
        "Where is my refund for order {order}? You confirmed the return on {date}.",
        "The total on my receipt doesn't add up, I was overcharged by {amount}.",
        "Can I get the invoice as PDF please?",
        "I see two payments of {amount} on my statement for one order.",
        "My voucher wasn't deducted from the total.",
        "When will I be refunded for the cancelled order {order}?",
        "The invoice number {invoice} has a wrong tax amount.",
        "Why is there a pending charge on my card from you?",
        "I only got a partial refund, where's the rest?",
        "Could you resend the invoice for {order}? I can't find the email.",
        "The price went down the day after I ordered, can I get the difference?",
        "I'd like a corrected invoice showing the reverse charge.",
    ],
    "product_question": [
        "Is the {product} waterproof?",
        "Does the {product} come in a {size}?",
        "What are the dimensions of the {product}?",
        "Will the {product} be back in stock soon?",
        "Is the {product} compatible with my phone?",
        "What material is the {product} made of?",
        "does the {product} come with a charger",
        "Can I machine wash the {product}?",
        "How does the sizing of the {product} run, should I size up?",
        "What's the difference between the {product} and the {product2}?",
        "Is the {product} suitable for children?",
        "Do you have the {product} in blue?",
        "How long is the warranty on the {product}?",
        "what battery does the {product} use",
        "Is the {product} vegan?",
        "Can the {product} be used outdoors?",
        "Where is the {product} made?",
        "How heavy is the {product}?",
        "Do you sell replacement parts for the {product}?",
        "Is the {product} dishwasher safe?",
        "Will the {product} fit a {size}?",
        "Any chance you'll restock the {product2} in my size?",
        "Does the price of the {product} include the case?",
        "Is the {product} the new 2026 model?",
        "how many in a pack of {product}",
        "Does the {product} come assembled?",
        "Is the {product} available in other colours?",
        "What's the capacity of the {product}?",
        "Can the {product} be engraved?",
        "Is the {product} safe for sensitive skin?",
        "How do I clean the {product}?",
        "What voltage does the {product} need? I'm in the UK.",
        "Do you know when the new {product} comes out?",
        "Is the {product} true to size or should I go for a {size}?",
        "Does the {product} have a warranty in Europe?",
        "Which is better for running, the {product} or the {product2}?",
        "Is the {product} made of recycled material?",
        "Can I buy the {product} without the box?",
        "Is the {product} noise cancelling?",
        "what's the return window on the {product} if I buy it now?",
    ],
    "other": [
        "I love your shop, just wanted to say thanks!",
        "Are you hiring? I'd like to apply for a warehouse job.",
        "We are a logistics company and would like to offer our services.",
        "Do you have a physical store I can visit?",
        "Please unsubscribe me from your newsletter.",
        "Can I become a reseller of your products?",
        "Great service, the {product} is perfect.",
        "Hi, I'm a blogger and would like to collaborate.",
        "How do I delete my account?",
        "Your website is not loading on my phone.",
        "I forgot my password and the reset email never arrives.",
        "Do you offer gift cards?",
        "thank you so much for the quick help yesterday",
        "What are your opening hours for the phone line?",
        "I want to leave a review but can't find where.",
        "Are you open on public holidays?",
        "Can you tell me more about your sustainability policy?",
        "Congratulations on the new collection!",
        "We'd like to order 500 units for our company, who can I talk to?",
        "test",
        "Please stop calling me.",
        "Do you ship to Switzerland?",
        "Is there a student discount?",
        "Hello? Is anyone there?",
        "I have a suggestion for your website.",
        "Just wanted to let you know the delivery guy was really nice.",
        "Do you have a loyalty programme?",
        "I'd like to work with you as a supplier, who should I contact?",
        "Your newsletter is in the wrong language for me.",
        "Can I change my email address on my account?",
        "Is there an app for your shop?",
        "Do you sponsor local sports clubs?",
        "I can't log in to my account.",
        "Keep up the good work!",
        "Where can I find your terms and conditions?",
        "hello",
        "Do you offer gift wrapping?",
        "Are your products tested on animals?",
        "I'd like to give feedback about your website checkout.",
        "Can I visit your warehouse?",
    ],
}

# Two intents in one message: the first is the label, the second `secondary`.
COMBINATIONS = [
    ("damaged_item", "return_request", "{a} I'd like to send it back for a refund."),
    ("wrong_item", "return_request", "{a} How do I return it?"),
    ("where_is_my_order", "cancel_order", "{a} If it hasn't shipped, please cancel it."),
    ("cancel_order", "billing_question", "{a} And when will I see the money back on my card?"),
    ("change_address", "where_is_my_order", "{a} Also, when will it arrive?"),
    ("damaged_item", "billing_question", "{a} I also want to know if I get the shipping fee back."),
    ("return_request", "billing_question", "{a} Will the refund include shipping?"),
    ("product_question", "where_is_my_order", "{a} Also my last order hasn't arrived yet."),
    ("wrong_item", "where_is_my_order", "{a} And where is the item I actually ordered?"),
    ("where_is_my_order", "change_address", "{a} Can you still change the address to {street}?"),
]

PRODUCTS = [
    "blue hoodie", "running shoes", "coffee grinder", "phone case", "desk lamp", "yoga mat",
    "wool scarf", "backpack", "bluetooth speaker", "water bottle", "linen shirt", "kettle",
    "wireless earbuds", "rain jacket", "ceramic mug", "sunglasses", "leather wallet",
    "kids' sneakers", "frying pan", "winter boots", "smart watch", "bed sheets", "tote bag",
    "t-shirt", "cap", "jeans", "sofa cushion", "hair dryer", "gaming mouse", "notebook",
]
SIZES = ["size S", "size M", "size L", "size XL", "EU 42", "EU 38", "size 10", "medium", "large"]
STREETS = ["Hauptstraße 12", "Rue de Rivoli 45", "221B Baker Street", "Kastanienallee 3",
           "Via Roma 8", "Calle Mayor 21", "Oak Avenue 77", "Market Street 5"]
CITIES = ["Berlin", "Hamburg", "Paris", "London", "Munich", "Vienna", "Milan", "Madrid", "Leeds"]
NAMES = ["Anna Schmidt", "Luca Rossi", "Marie Dubois", "James Smith", "Sofia Garcia",
         "Jonas Weber", "Emma Brown", "Noah Müller", "Chloe Martin", "Ali Yilmaz"]
OPENERS = ["", "", "Hi, ", "Hello, ", "Hi there, ", "Dear customer service, ", "Hey, ",
           "Good morning, ", "Hello team, ", "To whom it may concern, "]
CLOSERS = ["", "", " Thanks.", " Thank you!", " Regards, {name}", " Best, {name}",
           " Thanks in advance.", " Cheers", " Kind regards,\n{name}", " Sent from my iPhone"]
ANGRY = [" This is unacceptable.", " I am really disappointed.", " Worst service ever.",
         " This is the third time I'm writing!", " Very frustrating.", " I'm furious."]
HAPPY = [" Love your products otherwise!", " You've always been great.", " Thanks for your help :)",
         " Really happy with the shop in general."]
RELAXED = [" No rush.", " Whenever you have a moment.", " Just curious.", " No hurry at all.",
           " When you get a chance.", " It's not urgent."]
URGENT = [" Please answer ASAP.", " This is urgent!", " I need this sorted today.",
          " URGENT", " Please reply immediately."]
STORIES = [
    "I've been a customer for years and never had a problem before. ",
    "I ordered this for my daughter's birthday next week. ",
    "I work from home so I was in all day. ",
    "I already tried your chat but nobody answered. ",
    "I checked my spam folder and there's nothing there. ",
]
MISSPELLINGS = {
    "received": "recieved", "address": "adress", "arrived": "arived", "order": "oder",
    "please": "plz", "because": "becuase", "delivery": "delivry", "package": "packege",
    "refund": "refound", "cancel": "cancell", "wrong": "worng", "damaged": "damged",
    "invoice": "invoce", "tomorrow": "tommorow", "definitely": "definately", "you": "u",
}


def order_number(rng):
    shape = rng.random()
    if shape < 0.4:
        return f"#{rng.randint(1000, 99999)}"
    if shape < 0.7:
        return f"{rng.randint(100, 999)}-{rng.randint(1000000, 9999999)}-{rng.randint(1000000, 9999999)}"
    return f"CD-{rng.randint(1, 999999):06d}"


def tracking_number(rng):
    shape = rng.random()
    if shape < 0.35:
        return "1Z" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(16))
    if shape < 0.7:
        return "JJD" + "".join(rng.choice("0123456789") for _ in range(18))
    return "".join(rng.choice("0123456789") for _ in range(20))


def fill(template, rng):
    product, product2 = rng.sample(PRODUCTS, 2)
    return template.format(
        order=order_number(rng), tracking=tracking_number(rng), product=product,
        product2=product2, size=rng.choice(SIZES), street=rng.choice(STREETS),
        city=rng.choice(CITIES), name=rng.choice(NAMES), flat=rng.randint(1, 40),
        days=rng.randint(3, 21), amount=f"€{rng.randint(5, 300)}.{rng.randint(0, 99):02d}",
        invoice=f"EU1-2026-{rng.randint(1, 99999):06d}",
        date=rng.choice(["Monday", "last Friday", "the 3rd", "2 weeks ago", "12/11", "yesterday",
                         "November 28", "last week"]),
        a="{a}",
    )


def typos(text, rng, rate):
    words = text.split(" ")
    out = []
    for w in words:
        key = w.lower().strip(".,!?")
        r = rng.random()
        if key in MISSPELLINGS and r < rate * 3:
            w = w.lower().replace(key, MISSPELLINGS[key])
        elif len(w) > 3 and r < rate:
            i = rng.randrange(1, len(w) - 1)
            kind = rng.random()
            if kind < 0.4:
                w = w[:i] + w[i + 1] + w[i] + w[i + 2:]
            elif kind < 0.7:
                w = w[:i] + w[i + 1:]
            else:
                w = w[:i] + w[i] + w[i:]
        out.append(w)
    return " ".join(out)


def roughen(text, rng):
    style = rng.random()
    if style < 0.15:
        text = text.lower()
    elif style < 0.2:
        text = text.upper()
    if rng.random() < 0.2:
        text = text.replace(".", "").replace(",", "").replace("'", "")
    rate = rng.choice([0.0, 0.0, 0.02, 0.05, 0.1])
    return typos(text, rng, rate)


def labels(rng, intent):
    """Urgency and sentiment, with the words that show them."""
    sentiment = rng.choices(["negative", "neutral", "positive"], weights={
        "damaged_item": [6, 3, 1], "wrong_item": [6, 3, 1], "where_is_my_order": [4, 5, 1],
        "other": [1, 5, 4], "product_question": [1, 7, 2],
    }.get(intent, [3, 6, 1]))[0]
    urgency = rng.choices(["low", "normal", "high"], weights={
        "product_question": [6, 4, 0.5], "other": [7, 3, 0.5], "cancel_order": [1, 4, 5],
        "change_address": [1, 4, 5],
    }.get(intent, [2, 6, 2]))[0]
    extra = ""
    if sentiment == "negative":
        extra += rng.choice(ANGRY)
    elif sentiment == "positive":
        extra += rng.choice(HAPPY)
    if urgency == "high":
        extra += rng.choice(URGENT)
    elif urgency == "low" and rng.random() < 0.7:
        extra += rng.choice(RELAXED)
    return sentiment, urgency, extra


def message(rng, intent, template, secondary=None, combo=None):
    body = fill(template, rng)
    if combo:
        body = fill(combo, rng).replace("{a}", body)
    sentiment, urgency, extra = labels(rng, intent)
    story = rng.choice(STORIES) if rng.random() < 0.2 else ""
    text = rng.choice(OPENERS) + story + body + extra + fill(rng.choice(CLOSERS), rng)
    text = roughen(text.strip(), rng)
    record = {"text": text, "intent": intent, "urgency": urgency, "sentiment": sentiment}
    if secondary:
        record["secondary"] = secondary
    return record


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="corpus.jsonl")
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--per-intent", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    records = []
    for intent, templates in INTENTS.items():
        held_out = set(rng.sample(range(len(templates)), len(templates) // 5))
        for n in range(args.per_intent):
            combos = [c for c in COMBINATIONS if c[0] == intent]
            if combos and rng.random() < 0.12:
                first, second, combo = rng.choice(combos)
                t = rng.randrange(len(templates))
                record = message(rng, intent, templates[t], second, combo)
            else:
                t = rng.randrange(len(templates))
                record = message(rng, intent, templates[t])
            record["phrasing"] = f"{intent}/{t}"
            record["split"] = "test" if t in held_out else "train"
            records.append(record)
    rng.shuffle(records)
    with open(args.out, "w", encoding="utf-8") as f:
        for i, r in enumerate(records, 1):
            f.write(json.dumps({"id": i, **r}, ensure_ascii=False) + "\n")
    test = sum(r["split"] == "test" for r in records)
    print(f"{len(records)} messages ({len(records) - test} train, {test} test) -> {args.out}")


if __name__ == "__main__":
    main()
