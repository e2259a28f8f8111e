// Validates XML files against an XML Schema with the JDK's own validator:
//   java scripts/ubl/XsdValidate.java <schema.xsd> <file.xml>...
// Prints each problem as file:line:column: message; exits 1 if any file is invalid.
// UBL imports a few schemas by namespace only (no schemaLocation); they are
// resolved from the `external/` folder next to `maindoc/` (scripts/ubl-schemas.sh).
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.w3c.dom.ls.LSInput;
import org.w3c.dom.ls.LSResourceResolver;
import org.w3c.dom.ls.DOMImplementationLS;
import org.w3c.dom.bootstrap.DOMImplementationRegistry;
import javax.xml.XMLConstants;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.Schema;
import javax.xml.validation.SchemaFactory;
import javax.xml.validation.Validator;
import org.xml.sax.ErrorHandler;
import org.xml.sax.SAXParseException;

public class XsdValidate {
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: XsdValidate <schema.xsd> <file.xml>...");
            System.exit(2);
        }
        SchemaFactory factory = SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI);
        File main = new File(args[0]).getAbsoluteFile();
        File external = new File(main.getParentFile().getParentFile(), "external");
        Map<String, String> byNamespace = Map.of(
            "urn:un:unece:uncefact:data:specification:CoreComponentTypeSchemaModule:2", "CCTS_CCT_SchemaModule.xsd",
            "http://www.w3.org/2000/09/xmldsig#", "xmldsig-core-schema.xsd",
            "http://uri.etsi.org/01903/v1.3.2#", "XAdES01903v132-201601.xsd",
            "http://uri.etsi.org/01903/v1.4.1#", "XAdES01903v141-201601.xsd");
        DOMImplementationLS ls = (DOMImplementationLS) DOMImplementationRegistry.newInstance().getDOMImplementation("LS");
        LSResourceResolver fallback = factory.getResourceResolver();
        factory.setResourceResolver((type, namespace, publicId, systemId, baseUri) -> {
            String file = systemId == null && namespace != null ? byNamespace.get(namespace) : null;
            if (file == null) {
                return fallback == null ? null : fallback.resolveResource(type, namespace, publicId, systemId, baseUri);
            }
            LSInput input = ls.createLSInput();
            input.setSystemId(new File(external, file).toURI().toString());
            return input;
        });
        Schema schema = factory.newSchema(main);
        boolean ok = true;
        for (int i = 1; i < args.length; i++) {
            String file = args[i];
            List<String> problems = new ArrayList<>();
            Validator validator = schema.newValidator();
            validator.setErrorHandler(new ErrorHandler() {
                public void warning(SAXParseException e) {}
                public void error(SAXParseException e) { problems.add(describe(file, e)); }
                public void fatalError(SAXParseException e) { problems.add(describe(file, e)); }
            });
            try {
                validator.validate(new StreamSource(new File(file)));
            } catch (SAXParseException e) {
                problems.add(describe(file, e));
            }
            for (String p : problems) {
                System.out.println(p);
            }
            if (!problems.isEmpty()) {
                ok = false;
            } else {
                System.out.println(file + ": valid");
            }
        }
        System.exit(ok ? 0 : 1);
    }

    static String describe(String file, SAXParseException e) {
        return file + ":" + e.getLineNumber() + ":" + e.getColumnNumber() + ": " + e.getMessage();
    }
}
