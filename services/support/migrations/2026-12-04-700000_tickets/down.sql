DROP TABLE auto_replies;
DROP TABLE ticket_attachments;
DROP TABLE attachment_blobs;
DROP TABLE ticket_messages;
DROP TABLE tickets;
DROP SEQUENCE ticket_numbers;
DROP TABLE parcels;
DROP TABLE orders;
