//! The few shapes every document repeats: form and JSON bodies, JSON and HTML answers, the
//! dialect's error answer, parameters.

use utoipa::ToSchema;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, ParameterBuilder, ParameterIn,
};
use utoipa::openapi::request_body::{RequestBody, RequestBodyBuilder};
use utoipa::openapi::schema::{ArrayBuilder, ComponentsBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{
    InfoBuilder, OpenApi, OpenApiBuilder, Paths, Ref, RefOr, Required, Response, ResponseBuilder,
};

use crate::http::{ErrorShape, HuaweiBody, OAuthBody};

pub const FORM: &str = "application/x-www-form-urlencoded";
pub const JSON: &str = "application/json";
pub const HTML: &str = "text/html; charset=utf-8";

/// A document being built.
pub struct Doc {
    paths: Paths,
    schemas: Vec<(String, RefOr<Schema>)>,
    security: Vec<(String, utoipa::openapi::security::SecurityScheme)>,
    shape: ErrorShape,
    /// The error answer, once an operation refers to it.
    error: Option<Response>,
}

impl Doc {
    /// A document whose API errors come in `shape`.
    pub fn new(shape: ErrorShape) -> Doc {
        Doc {
            paths: Paths::new(),
            schemas: Vec::new(),
            security: Vec::new(),
            shape,
            error: None,
        }
    }

    /// `T`'s schema in the components (with every schema it refers to), by reference.
    pub fn schema<T: ToSchema>(&mut self) -> RefOr<Schema> {
        T::schemas(&mut self.schemas);
        let name = T::name().into_owned();
        if !self.schemas.iter().any(|(n, _)| *n == name) {
            self.schemas.push((name.clone(), T::schema()));
        }
        Ref::from_schema_name(name).into()
    }

    /// A schema of `T`'s with every property renamed by `rename` (the AWS dialect camelCases
    /// the RFC types), under `name`.
    pub fn renamed<T: ToSchema>(
        &mut self,
        name: &str,
        rename: fn(&str) -> String,
    ) -> RefOr<Schema> {
        if let RefOr::T(Schema::Object(mut object)) = T::schema() {
            object.properties = std::mem::take(&mut object.properties)
                .into_iter()
                .map(|(k, v)| (rename(&k), v))
                .collect();
            object.required = object.required.iter().map(|k| rename(k)).collect();
            self.schemas
                .push((name.to_owned(), RefOr::T(Schema::Object(object))));
        }
        Ref::from_schema_name(name).into()
    }

    /// A named schema built here (a list wrapper, a body without a type of its own).
    pub fn named(&mut self, name: &str, schema: impl Into<RefOr<Schema>>) -> RefOr<Schema> {
        self.schemas.push((name.to_owned(), schema.into()));
        Ref::from_schema_name(name).into()
    }

    /// Adds a bearer scheme; operations then name it in [`bearer`].
    pub fn bearer_scheme(&mut self, name: &str, description: &str) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        self.security.push((
            name.to_owned(),
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(description))
                    .build(),
            ),
        ));
    }

    /// The dialect's error answer (`#/components/responses/Error`).
    fn errors(&mut self) -> Response {
        let schema = match self.shape {
            ErrorShape::Huawei => self.schema::<HuaweiBody>(),
            _ => self.schema::<OAuthBody>(),
        };
        let mut response = ResponseBuilder::new()
            .description(match self.shape {
                ErrorShape::Huawei => "An error: `error_code` and `error_msg`, and the OAuth pair",
                ErrorShape::Aws => "An error: the OAuth pair, the exception in `x-amzn-ErrorType`",
                ErrorShape::Admin => {
                    "An error: 400, 401 `unauthorized`, 404 `not_found`, 409 `conflict`"
                }
                ErrorShape::OAuth => "An error (RFC 6749 §5.2)",
            })
            .content(JSON, ContentBuilder::new().schema(Some(schema)).build());
        if self.shape == ErrorShape::Aws {
            response = response.header(
                "x-amzn-ErrorType",
                HeaderBuilder::new()
                    .schema(ObjectBuilder::new().schema_type(Type::String))
                    .description(Some(
                        "The sso-oidc exception, e.g. AuthorizationPendingException",
                    ))
                    .build(),
            );
        }
        response.build()
    }

    /// Adds one operation at (method, path).
    pub fn add(&mut self, method: HttpMethod, path: &str, operation: OperationBuilder) {
        if self.error.is_none() {
            self.error = Some(self.errors());
        }
        let operation: Operation = operation
            .response("default", Ref::new("#/components/responses/Error"))
            .build();
        self.paths.add_path_operation(path, vec![method], operation);
    }

    /// Adds a page: HTML whatever the outcome (errors are error pages).
    pub fn add_page(&mut self, method: HttpMethod, path: &str, operation: OperationBuilder) {
        let operation: Operation = operation
            .response("200", html("The page"))
            .response("default", html("An error page, or a redirect"))
            .build();
        self.paths.add_path_operation(path, vec![method], operation);
    }

    pub fn build(self, title: &str, description: &str) -> OpenApi {
        let mut components = ComponentsBuilder::new();
        for (name, schema) in self.schemas {
            components = components.schema(name, schema);
        }
        if let Some(error) = self.error {
            components = components.response("Error", error);
        }
        for (name, scheme) in self.security {
            components = components.security_scheme(name, scheme);
        }
        OpenApiBuilder::new()
            .info(
                InfoBuilder::new()
                    .title(title)
                    .version(env!("CARGO_PKG_VERSION"))
                    .description(Some(description))
                    .build(),
            )
            .paths(self.paths)
            .components(Some(components.build()))
            .build()
    }
}

/// An operation with its id and summary.
pub fn op(id: &str, summary: &str) -> OperationBuilder {
    OperationBuilder::new()
        .operation_id(Some(id))
        .summary(Some(summary))
}

/// A form body of string fields: `(name, required)`.
pub fn form(fields: &[(&str, bool)]) -> Option<RequestBody> {
    let mut object = ObjectBuilder::new().schema_type(Type::Object);
    for (name, required) in fields {
        object = object.property(*name, string());
        if *required {
            object = object.required(*name);
        }
    }
    Some(
        RequestBodyBuilder::new()
            .content(FORM, ContentBuilder::new().schema(Some(object)).build())
            .required(Some(Required::True))
            .build(),
    )
}

/// The sign-in, consent and approval forms of the authorization pages (every dialect's).
pub fn page_form() -> Option<RequestBody> {
    form(&[
        ("csrf", true),
        ("action", true),
        ("request", false),
        ("username", false),
        ("password", false),
    ])
}

/// A JSON body of `schema`.
pub fn json_body(schema: RefOr<Schema>) -> Option<RequestBody> {
    Some(
        RequestBodyBuilder::new()
            .content(JSON, ContentBuilder::new().schema(Some(schema)).build())
            .required(Some(Required::True))
            .build(),
    )
}

/// A JSON answer.
pub fn json(description: &str, schema: RefOr<Schema>) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(JSON, ContentBuilder::new().schema(Some(schema)).build())
        .build()
}

/// An answer with no body.
pub fn empty(description: &str) -> Response {
    ResponseBuilder::new().description(description).build()
}

pub fn html(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            HTML,
            ContentBuilder::new()
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .build(),
        )
        .build()
}

pub fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

/// Any JSON object (a document whose fields a standard defines: a JWK set).
pub fn any_object(description: &str) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(description))
        .build()
        .into()
}

/// `{"<key>": [T...]}`, the admin API's lists.
pub fn list_of(key: &str, item: RefOr<Schema>) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property(key, ArrayBuilder::new().items(item))
        .required(key)
        .build()
        .into()
}

/// A path segment.
pub fn path_param(name: &str, values: Option<&[&str]>) -> utoipa::openapi::path::Parameter {
    let mut schema = string();
    if let Some(values) = values {
        schema = schema.enum_values(Some(values.iter().copied()));
    }
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .schema(Some(schema))
        .build()
}

/// An optional query parameter.
pub fn query(name: &str) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .schema(Some(string()))
        .build()
}

/// A request header.
pub fn header(name: &str, required: bool, description: &str) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(if required {
            Required::True
        } else {
            Required::False
        })
        .description(Some(description))
        .schema(Some(string()))
        .build()
}

/// The operation needs the named bearer scheme.
pub fn bearer(name: &str) -> SecurityRequirement {
    SecurityRequirement::new(name, Vec::<String>::new())
}
