// Diesel schema of the catalog database (matches migrations/).

diesel::table! {
    products (id) {
        id -> Uuid,
        title -> Text,
        description -> Text,
        status -> Text,
        version -> BigInt,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        created_by -> Text,
        updated_by -> Text,
    }
}

diesel::table! {
    variants (id) {
        id -> Uuid,
        product_id -> Uuid,
        position -> Integer,
        sku -> Text,
        title -> Text,
        barcode -> Nullable<Text>,
        unit_of_measure -> Text,
        weight_grams -> Nullable<BigInt>,
        length_mm -> Nullable<BigInt>,
        width_mm -> Nullable<BigInt>,
        height_mm -> Nullable<BigInt>,
        cost_amount -> Nullable<Numeric>,
        cost_currency -> Nullable<Text>,
    }
}

diesel::table! {
    listings (variant_id, channel_id) {
        variant_id -> Uuid,
        channel_id -> Text,
        price_amount -> Numeric,
        price_currency -> Text,
        active -> Bool,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    price_changes (id) {
        id -> BigInt,
        variant_id -> Uuid,
        channel_id -> Text,
        old_amount -> Nullable<Numeric>,
        old_currency -> Nullable<Text>,
        new_amount -> Numeric,
        new_currency -> Text,
        changed_by -> Text,
        changed_at -> Timestamptz,
    }
}

diesel::joinable!(variants -> products (product_id));
diesel::joinable!(listings -> variants (variant_id));
diesel::joinable!(price_changes -> variants (variant_id));
diesel::allow_tables_to_appear_in_same_query!(products, variants, listings, price_changes);
