//! Billing's REST API under `/v1`. Finance (and admins) set how billing
//! invoices, credit invoices, post adjustments and close periods; ops read
//! documents. Channel tokens have no access: this is the merchant's books.

pub mod bank;
pub mod bills;
pub mod documents;
pub mod fees;
pub mod ledger;
pub mod margin;
pub mod refunds;
pub mod settings;
pub mod settlements;

use actix_web::web;
use platform::http::BearerAuth;
use utoipa::OpenApi;

platform::access!(
    /// Who keeps the books: settings, credit notes, adjustments, periods, and the ledger's reads.
    pub Accountants: [Admin, Finance]
);
platform::access!(
    /// Who reads documents and billing settings.
    pub Readers: [Admin, Finance, Ops]
);
platform::access!(
    /// Who reads margin.
    pub MarginReaders: [Admin, Finance, Ops]
);

pub const DEFAULT_PAGE: i64 = 100;
pub const MAX_PAGE: i64 = 1000;

/// An uploaded file's problems as a 422 naming line, column and field.
pub(crate) fn file_errors(errors: Vec<crate::domain::settlement::FileError>) -> platform::ApiError {
    platform::ApiError::Validation(
        errors
            .into_iter()
            .map(|e| domain::FieldError::in_file(e.field, e.line, e.column as u64, e.message))
            .collect(),
    )
}

/// The page size from `limit`, or a field error.
pub fn page_limit(v: &mut domain::Validator, limit: Option<i64>) -> i64 {
    platform::http::page_limit(v, limit, DEFAULT_PAGE, MAX_PAGE)
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/v1")
            .service(web::resource("/invoices").route(web::get().to(documents::list)))
            .service(
                web::resource("/invoices/{id}")
                    .route(web::get().to(documents::get))
                    .route(web::patch().to(documents::edit)),
            )
            .service(web::resource("/invoices/{id}/ubl").route(web::get().to(documents::ubl)))
            .service(
                web::resource("/invoices/{id}/credit-notes")
                    .route(web::post().to(documents::credit)),
            )
            .service(web::resource("/pending-shipments").route(web::get().to(documents::pending)))
            .service(
                web::resource("/legal-entities/{code}")
                    .route(web::put().to(settings::put_entity))
                    .route(web::get().to(settings::get_entity)),
            )
            .service(
                web::resource("/channel-billing/{channel_id}")
                    .route(web::put().to(settings::put_channel))
                    .route(web::get().to(settings::get_channel)),
            )
            .service(web::resource("/tax-rules").route(web::get().to(settings::list_rules)))
            .service(
                web::resource("/tax-rules/{country}/{tax_category}")
                    .route(web::put().to(settings::put_rule)),
            )
            .service(
                web::resource("/product-tax-categories/{sku}")
                    .route(web::put().to(settings::put_product_tax)),
            )
            .service(web::resource("/fee-schedules/{channel_id}").route(web::get().to(fees::list)))
            .service(
                web::resource("/fee-schedules/{channel_id}/{effective_from}")
                    .route(web::put().to(fees::put)),
            )
            .service(
                web::resource("/product-fee-categories/{sku}")
                    .route(web::put().to(fees::put_product)),
            )
            .service(web::resource("/settlements").route(web::post().to(settlements::import)))
            .service(
                web::resource("/settlements/{channel_id}/{settlement_id}")
                    .route(web::get().to(settlements::get)),
            )
            .service(
                web::resource("/settlement-exceptions")
                    .route(web::get().to(settlements::exceptions)),
            )
            .service(
                web::resource("/settlement-exceptions/{id}/match")
                    .route(web::post().to(settlements::match_to)),
            )
            .service(
                web::resource("/settlement-exceptions/{id}/write-off")
                    .route(web::post().to(settlements::write_off)),
            )
            .service(web::resource("/bank-statements").route(web::post().to(bank::import)))
            .service(web::resource("/bank-lines").route(web::get().to(bank::lines)))
            .service(
                web::resource("/supplier-bills")
                    .route(web::post().to(bills::enter))
                    .route(web::get().to(bills::list)),
            )
            .service(web::resource("/supplier-bills/{id}").route(web::get().to(bills::get)))
            .service(
                web::resource("/supplier-bills/{id}/approve").route(web::post().to(bills::approve)),
            )
            .service(
                web::resource("/supplier-bills/{id}/reject").route(web::post().to(bills::reject)),
            )
            .service(web::resource("/bill-tolerances").route(web::get().to(bills::tolerances)))
            .service(
                web::resource("/bill-tolerances/{currency}")
                    .route(web::put().to(bills::put_tolerance)),
            )
            .service(web::resource("/refunds").route(web::get().to(refunds::list)))
            .service(web::resource("/refunds/{return_id}").route(web::get().to(refunds::get)))
            .service(
                web::resource("/refunds/{return_id}/approve")
                    .route(web::post().to(refunds::approve)),
            )
            .service(
                web::resource("/refunds/{return_id}/reject").route(web::post().to(refunds::reject)),
            )
            .service(
                web::resource("/refunds/{return_id}/retry").route(web::post().to(refunds::retry)),
            )
            .service(web::resource("/refund-approval-limits").route(web::get().to(refunds::limits)))
            .service(
                web::resource("/refund-approval-limits/{currency}")
                    .route(web::put().to(refunds::put_limit)),
            )
            .service(web::resource("/margin").route(web::get().to(margin::get)))
            .service(web::resource("/margin/export").route(web::get().to(margin::export)))
            .service(web::resource("/accounts").route(web::get().to(ledger::accounts)))
            .service(
                web::resource("/journal-entries")
                    .route(web::get().to(ledger::entries))
                    .route(web::post().to(ledger::post_manual)),
            )
            .service(web::resource("/trial-balance").route(web::get().to(ledger::trial_balance)))
            .service(web::resource("/periods").route(web::get().to(ledger::periods)))
            .service(web::resource("/periods/{period}/close").route(web::post().to(ledger::close))),
    );
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Crossdock billing API",
        version = "1.0.0",
        description = "An invoice per shipment with sales tax by destination (reverse charge \
                       for foreign businesses; tax-inclusive or exclusive prices; rounding per \
                       document or per line, stated), numbered without gaps per legal entity, \
                       kind and year, as JSON or UBL 2.1 XML; credit notes; a double-entry \
                       ledger every business event posts to once; periods; channel fees estimated \
                       at shipment and trued up from settlement files (Amazon V2, Shopify \
                       Payments, a generic CSV), with a finance exception queue; supplier bills \
                       three-way matched against purchase order prices and received units, held \
                       beyond tolerance for a second finance person; refunds of returns (credit notes \
                       on the invoices holding the returned lines, restocking and label fees \
                       kept, the channel's commission given back), held above a per-currency \
                       limit for a second finance person. Errors are RFC \
                       9457 application/problem+json; a bad line of an uploaded file is named by \
                       line and column."
    ),
    paths(
        documents::list,
        documents::get,
        documents::ubl,
        documents::edit,
        documents::credit,
        documents::pending,
        settings::put_entity,
        settings::get_entity,
        settings::put_channel,
        settings::get_channel,
        settings::put_rule,
        settings::list_rules,
        settings::put_product_tax,
        fees::put,
        fees::list,
        fees::put_product,
        settlements::import,
        settlements::get,
        settlements::exceptions,
        settlements::match_to,
        settlements::write_off,
        bank::import,
        bank::lines,
        bills::enter,
        bills::list,
        bills::get,
        bills::approve,
        bills::reject,
        bills::put_tolerance,
        bills::tolerances,
        refunds::list,
        refunds::get,
        refunds::approve,
        refunds::reject,
        refunds::retry,
        refunds::put_limit,
        refunds::limits,
        margin::get,
        margin::export,
        ledger::accounts,
        ledger::entries,
        ledger::post_manual,
        ledger::trial_balance,
        ledger::periods,
        ledger::close,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "invoices", description = "Invoices and credit notes"),
        (name = "settings", description = "Legal entities, channel billing settings, tax rules"),
        (name = "fees", description = "Channel fee schedules and products' fee categories"),
        (name = "settlements", description = "Settlement imports and the finance exception queue"),
        (name = "bank", description = "Bank statements: payouts and customer payments matched"),
        (name = "bills", description = "Supplier bills three-way matched, held bills approved by a second person, tolerances"),
        (name = "refunds", description = "Refunds of returns: credited per invoice, fees kept, commission given back; above a limit approved by a second person"),
        (name = "margin", description = "Contribution margin per order, channel, SKU and day"),
        (name = "ledger", description = "Chart of accounts, journal, trial balance, periods"),
    )
)]
pub struct ApiDoc;
