//! An issued document as OASIS UBL 2.1 XML under the EN 16931 core
//! customization (the European e-invoicing standard): `Invoice` (type code
//! 380) or `CreditNote` (381, referring to the invoice it corrects). Element
//! order follows the UBL 2.1 schemas, which the tests validate it against.
//!
//! Lines are stated net of tax (EN 16931 prices are net): with a
//! tax-inclusive channel the net is the line's share of the category's
//! taxable amount, and the price is that net per unit (up to 4 decimals).

use domain::Money;
use domain::contracts::billing::{DocumentKind, DocumentView, Party};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use rust_decimal::{Decimal, RoundingStrategy};

const INVOICE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
const CREDIT_NOTE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
const CAC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
const CBC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";
/// EN 16931-1:2017 compliant, core (no CIUS).
const CUSTOMIZATION: &str = "urn:cen.eu:en16931:2017";
/// UN/ECE Rec. 20 "one" (a unit, piece).
const UNIT: &str = "C62";

struct Xml(Writer<Vec<u8>>);

impl Xml {
    fn event(&mut self, e: Event<'_>) {
        // Writing to a Vec cannot fail.
        self.0.write_event(e).expect("writes to memory");
    }

    fn open(&mut self, name: &str) {
        self.event(Event::Start(BytesStart::new(name)));
    }

    fn open_with(&mut self, name: &str, attrs: &[(&str, &str)]) {
        let mut start = BytesStart::new(name);
        for a in attrs {
            start.push_attribute(*a);
        }
        self.event(Event::Start(start));
    }

    fn close(&mut self, name: &str) {
        self.event(Event::End(BytesEnd::new(name)));
    }

    fn text(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.open_with(name, attrs);
        self.event(Event::Text(BytesText::new(text)));
        self.close(name);
    }

    fn cbc(&mut self, name: &str, text: &str) {
        self.text(&format!("cbc:{name}"), &[], text);
    }

    fn amount(&mut self, name: &str, m: &Money) {
        let amount = fixed(m.amount, m.currency.minor_units());
        self.text(
            &format!("cbc:{name}"),
            &[("currencyID", m.currency.code())],
            &amount,
        );
    }
}

/// A decimal with exactly `dp` places, as UBL amounts are written.
fn fixed(v: Decimal, dp: u32) -> String {
    let mut r = v.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(dp);
    r.to_string()
}

fn percent(v: Decimal) -> String {
    v.normalize().to_string()
}

fn party(x: &mut Xml, wrapper: &str, p: &Party) {
    x.open(&format!("cac:{wrapper}"));
    x.open("cac:Party");
    x.open("cac:PartyName");
    x.cbc("Name", p.company.as_deref().unwrap_or(&p.name));
    x.close("cac:PartyName");
    x.open("cac:PostalAddress");
    x.cbc("StreetName", &p.street);
    if let Some(s2) = &p.street2 {
        x.cbc("AdditionalStreetName", s2);
    }
    x.cbc("CityName", &p.city);
    x.cbc("PostalZone", &p.postal_code);
    x.open("cac:Country");
    x.cbc("IdentificationCode", &p.country);
    x.close("cac:Country");
    x.close("cac:PostalAddress");
    if let Some(vat) = &p.vat_id {
        x.open("cac:PartyTaxScheme");
        x.cbc("CompanyID", vat);
        tax_scheme(x);
        x.close("cac:PartyTaxScheme");
    }
    x.open("cac:PartyLegalEntity");
    x.cbc("RegistrationName", p.company.as_deref().unwrap_or(&p.name));
    x.close("cac:PartyLegalEntity");
    if let Some(email) = &p.email {
        x.open("cac:Contact");
        x.cbc("ElectronicMail", email);
        x.close("cac:Contact");
    }
    x.close("cac:Party");
    x.close(&format!("cac:{wrapper}"));
}

fn tax_scheme(x: &mut Xml) {
    x.open("cac:TaxScheme");
    x.cbc("ID", "VAT");
    x.close("cac:TaxScheme");
}

fn tax_category(x: &mut Xml, element: &str, code: &str, rate: Decimal, with_reason: bool) {
    x.open(&format!("cac:{element}"));
    x.cbc("ID", code);
    x.cbc("Percent", &percent(rate));
    if with_reason && code == "AE" {
        x.cbc("TaxExemptionReasonCode", "VATEX-EU-AE");
        x.cbc("TaxExemptionReason", "Reverse charge");
    }
    tax_scheme(x);
    x.close(&format!("cac:{element}"));
}

/// The document as UBL 2.1 XML (UTF-8).
pub fn render(doc: &DocumentView) -> Vec<u8> {
    let credit = doc.kind == DocumentKind::CreditNote;
    let root = if credit { "CreditNote" } else { "Invoice" };
    let mut x = Xml(Writer::new_with_indent(Vec::new(), b' ', 2));
    x.event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
    x.open_with(
        root,
        &[
            ("xmlns", if credit { CREDIT_NOTE_NS } else { INVOICE_NS }),
            ("xmlns:cac", CAC),
            ("xmlns:cbc", CBC),
        ],
    );
    x.cbc("CustomizationID", CUSTOMIZATION);
    x.cbc("ID", &doc.number);
    x.cbc("IssueDate", &doc.issue_date.to_string());
    if credit {
        x.cbc("CreditNoteTypeCode", "381");
    } else {
        x.cbc("InvoiceTypeCode", "380");
    }
    if let Some(reason) = &doc.reason {
        x.cbc("Note", reason);
    }
    x.cbc("DocumentCurrencyCode", doc.currency.code());
    x.cbc("BuyerReference", &doc.external_order_id);
    x.open("cac:OrderReference");
    x.cbc("ID", &doc.external_order_id);
    x.close("cac:OrderReference");
    if let Some(corrected) = &doc.corrects {
        x.open("cac:BillingReference");
        x.open("cac:InvoiceDocumentReference");
        x.cbc("ID", &corrected.number);
        x.cbc("IssueDate", &corrected.issue_date.to_string());
        x.close("cac:InvoiceDocumentReference");
        x.close("cac:BillingReference");
    }
    party(&mut x, "AccountingSupplierParty", &doc.seller);
    party(&mut x, "AccountingCustomerParty", &doc.buyer);
    x.open("cac:TaxTotal");
    x.amount("TaxAmount", &doc.tax_total);
    for s in &doc.tax_subtotals {
        x.open("cac:TaxSubtotal");
        x.amount("TaxableAmount", &s.taxable);
        x.amount("TaxAmount", &s.tax);
        tax_category(&mut x, "TaxCategory", &s.tax_category, s.tax_rate, true);
        x.close("cac:TaxSubtotal");
    }
    x.close("cac:TaxTotal");
    x.open("cac:LegalMonetaryTotal");
    x.amount("LineExtensionAmount", &doc.net_total);
    x.amount("TaxExclusiveAmount", &doc.net_total);
    x.amount("TaxInclusiveAmount", &doc.gross_total);
    x.amount("PayableAmount", &doc.gross_total);
    x.close("cac:LegalMonetaryTotal");
    let (line_element, quantity_element) = if credit {
        ("cac:CreditNoteLine", "CreditedQuantity")
    } else {
        ("cac:InvoiceLine", "InvoicedQuantity")
    };
    for l in &doc.lines {
        x.open(line_element);
        x.cbc("ID", &l.line_no.to_string());
        x.text(
            &format!("cbc:{quantity_element}"),
            &[("unitCode", UNIT)],
            &l.quantity.to_string(),
        );
        x.amount("LineExtensionAmount", &l.net);
        if let Some(order_line) = l.order_line_no {
            x.open("cac:OrderLineReference");
            x.cbc("LineID", &order_line.to_string());
            x.close("cac:OrderLineReference");
        }
        x.open("cac:Item");
        x.cbc("Name", &l.description);
        if let Some(sku) = &l.sku {
            x.open("cac:SellersItemIdentification");
            x.cbc("ID", sku);
            x.close("cac:SellersItemIdentification");
        }
        tax_category(
            &mut x,
            "ClassifiedTaxCategory",
            &l.tax_category,
            l.tax_rate,
            false,
        );
        x.close("cac:Item");
        x.open("cac:Price");
        let unit_net = l.net.amount / Decimal::from(l.quantity.max(1));
        x.text(
            "cbc:PriceAmount",
            &[("currencyID", l.net.currency.code())],
            &fixed(unit_net, 4),
        );
        x.close("cac:Price");
        x.close(line_element);
    }
    x.close(root);
    x.0.into_inner()
}
